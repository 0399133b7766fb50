import type { Compilable, CompiledQuery, Kysely, QueryResult } from 'kysely';
import type { Database } from './schema.js';

const MARK = '\u0000shouyin-param:';

/** A stand-in for the n-th argument of a prepared query (see `prepared`). */
export type Param = (n: number) => never;
const param: Param = (n) => `${MARK}${n}` as never;

interface Compiled {
  query: CompiledQuery;
  /** For each compiled parameter: the argument index it takes, or -1 for a constant. */
  slots: number[];
}

/**
 * A hot-path query built and compiled once per dialect, then run with new arguments.
 * Building and compiling a Kysely query costs several times what SQLite takes to run ours, so
 * the order-creation and lookup paths use these. `build` must use `p(n)` for every argument and
 * keep the query's shape fixed (no `in` lists of varying length).
 *
 * Example: `const byAppkey = prepared<[string], Row>((db, p) => db.selectFrom('merchants').selectAll().where('appkey', '=', p(0)))`.
 */
export function prepared<A extends unknown[], R>(build: (db: Kysely<Database>, p: Param) => Compilable<R>) {
  // Keyed by the dialect adapter, which a database and all its transactions share.
  const cache = new WeakMap<object, Compiled>();
  return async (db: Kysely<Database>, ...args: A): Promise<QueryResult<R>> => {
    const adapter = db.getExecutor().adapter;
    let c = cache.get(adapter);
    if (!c) {
      const query = build(db, param).compile() as CompiledQuery;
      const slots = query.parameters.map((v) =>
        typeof v === 'string' && v.startsWith(MARK) ? Number(v.slice(MARK.length)) : -1,
      );
      c = { query, slots };
      cache.set(adapter, c);
    }
    const { query, slots } = c;
    const parameters = slots.map((s, i) => (s >= 0 ? args[s] : query.parameters[i]));
    return db.executeQuery<R>({ ...query, parameters });
  };
}
