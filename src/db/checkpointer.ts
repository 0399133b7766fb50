import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

// Runs in a worker thread with its own connection: a checkpoint writes WAL pages back into the
// database file and waits for fsync, which must not stall the server's event loop.
const SOURCE = `
const { workerData, parentPort } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path);
db.pragma('busy_timeout = 5000');
const checkpoint = () => { try { db.pragma('wal_checkpoint(PASSIVE)'); } catch (err) { parentPort.postMessage(String(err)); } };
const timer = setInterval(checkpoint, workerData.intervalMs);
parentPort.on('message', () => { clearInterval(timer); checkpoint(); db.close(); parentPort.close(); });
`;

/**
 * Checkpoints a WAL-mode SQLite file from a worker thread every `intervalMs`, so commits on the
 * request path only append to the WAL. Returns a function that stops it (after a last checkpoint).
 */
export function startCheckpointer(path: string, intervalMs: number, onError: (message: string) => void) {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(SOURCE, { eval: true, workerData: { path, driver, intervalMs } });
  worker.on('message', (m) => onError(String(m)));
  worker.on('error', (err) => onError(err.message));
  worker.unref();
  return async () => {
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    worker.postMessage('stop');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    await worker.terminate();
  };
}
