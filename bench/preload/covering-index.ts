/**
 * EXPERIMENT (BENCH_EXPERIMENT=covering-index): before the gateway starts, adds
 * `payments(account_id, paid_at, amount_cents)`, so "received today" per account is summed from
 * the index alone instead of one table lookup per payment. Not the shipped schema.
 */
import SQLite from 'better-sqlite3';

const url = process.env.DATABASE_URL ?? '';
if (url.startsWith('sqlite:')) {
  const db = new SQLite(url.slice('sqlite:'.length));
  db.exec(
    'CREATE INDEX IF NOT EXISTS bench_payments_account_paid_amount ON payments (account_id, paid_at, amount_cents)',
  );
  db.close();
}
