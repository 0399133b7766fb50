/**
 * EXPERIMENT (BENCH_EXPERIMENT=fifo-mutex): Kysely's SQLite driver guards its one connection with
 * a mutex whose waiters all wake on every release (`while (promise) await promise`), so with N
 * requests waiting every query costs N wake-ups. This puts a FIFO queue in front of it: one
 * waiter is woken per release. Not the shipped code; measures what such a driver change buys.
 */
import { SqliteDriver } from 'kysely';

interface Gate {
  busy: boolean;
  waiters: Array<() => void>;
}
const gates = new WeakMap<object, Gate>();
const gate = (driver: object): Gate => {
  let g = gates.get(driver);
  if (!g) gates.set(driver, (g = { busy: false, waiters: [] }));
  return g;
};

const proto = SqliteDriver.prototype;
const acquire = proto.acquireConnection;
const release = proto.releaseConnection;

proto.acquireConnection = async function (this: SqliteDriver) {
  const g = gate(this);
  if (g.busy) await new Promise<void>((resolve) => g.waiters.push(resolve));
  g.busy = true;
  // The inner mutex is free now: nobody else got past the gate.
  return acquire.call(this);
};

proto.releaseConnection = async function (this: SqliteDriver) {
  await release.call(this);
  const g = gate(this);
  const next = g.waiters.shift();
  if (next) next();
  else g.busy = false;
};
