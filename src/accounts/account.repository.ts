import { type Insertable, type Kysely, type Selectable, sql, type Updateable } from 'kysely';
import { prepared } from '../db/prepared.js';
import type { Tx } from '../db/tx.js';
import type { AccountTable, Database } from '../db/schema.js';
import { type Account, accountFromRow } from './account.model.js';

export async function insertAccount(db: Kysely<Database>, values: Insertable<AccountTable>): Promise<number> {
  const row = await db.insertInto('accounts').values(values).returning('id').executeTakeFirstOrThrow();
  return Number(row.id);
}

export async function findAccountById(db: Kysely<Database>, id: number): Promise<Account | null> {
  const row = await db.selectFrom('accounts').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? accountFromRow(row) : null;
}

export async function findAccountByMonitorKey(db: Kysely<Database>, key: string): Promise<Account | null> {
  const row = await db.selectFrom('accounts').selectAll().where('monitor_key', '=', key).executeTakeFirst();
  return row ? accountFromRow(row) : null;
}

/**
 * Whether the account has an order a buyer may still be paying: unpaid, or expired at or after
 * `expiredSince` (now minus the grace window). An unpaid order past its deadline that the
 * expirer has not swept yet counts like an expired one.
 */
export async function hasOrderOpenOrInGrace(
  db: Kysely<Database>,
  accountId: number,
  expiredSince: number,
): Promise<boolean> {
  const row = await db
    .selectFrom('orders')
    .select('id')
    .where('account_id', '=', accountId)
    .where('status', 'in', ['unpaid', 'expired'])
    .where('expires_at', '>', expiredSince)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

export async function listAccounts(db: Kysely<Database>, merchantId?: number): Promise<Account[]> {
  let q = db.selectFrom('accounts').selectAll().orderBy('id');
  if (merchantId !== undefined) q = q.where('merchant_id', '=', merchantId);
  return (await q.execute()).map(accountFromRow);
}

export async function updateAccount(
  db: Kysely<Database>,
  id: number,
  v: Updateable<AccountTable>,
): Promise<boolean> {
  const res = await db.updateTable('accounts').set(v).where('id', '=', id).executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
}

/**
 * Enabled accounts of one merchant and type, with what each received since `dayStart` and what
 * its open orders (unpaid, not yet past their deadline) may still bring in at `now`.
 */
export async function listEnabledAccountsWithLoad(
  db: Kysely<Database>,
  merchantId: number,
  type: string,
  dayStart: number,
  now: number,
  /** Whether every account's takings today are wanted ('even' rotation); capped accounts always get them. */
  allReceived = true,
): Promise<Array<Account & { receivedTodayCents: number; pendingCents: number }>> {
  const { rows } = await enabledWithLoad(db, allReceived ? 1 : 0, dayStart, now, merchantId, type);
  return rows.map((r) => ({
    ...accountFromRow(r),
    receivedTodayCents: Number(r.received_today ?? 0),
    pendingCents: Number(r.pending ?? 0),
  }));
}

const enabledWithLoad = prepared<
  [number, number, number, number, string],
  Selectable<AccountTable> & { received_today: number | null; pending: number | null }
>((db, p) =>
  db
    .selectFrom('accounts as a')
    .selectAll('a')
    .select((eb) => [
      // Today's takings cost a read per payment: only for 'even' rotation and capped accounts.
      eb
        .case()
        .when(eb.and([eb('a.daily_cap_cents', 'is', null), sql<boolean>`${p(0)} = 0`]))
        .then(sql<number>`0`)
        .else(
          eb
            .selectFrom('payments as pay')
            .select(sql<number>`coalesce(sum(pay.amount_cents), 0)`.as('s'))
            .whereRef('pay.account_id', '=', 'a.id')
            .where('pay.paid_at', '>=', p(1)),
        )
        .end()
        .as('received_today'),
      // Only a daily cap needs the open orders' sum; skip it for the usual uncapped account.
      eb
        .case()
        .when('a.daily_cap_cents', 'is', null)
        .then(sql<number>`0`)
        .else(
          eb
            .selectFrom('orders as o')
            .select(sql<number>`coalesce(sum(o.realprice_cents), 0)`.as('s'))
            .whereRef('o.account_id', '=', 'a.id')
            .where('o.status', '=', 'unpaid')
            .where('o.expires_at', '>', p(2)),
        )
        .end()
        .as('pending'),
    ])
    .where('a.merchant_id', '=', p(3))
    .where('a.type', '=', p(4))
    .where('a.enabled', '=', 1),
);

/** Every account that takes part in the V免签 app protocol, with its key. */
export async function listVmqKeys(db: Kysely<Database>): Promise<Array<{ id: number; key: string }>> {
  const rows = await db
    .selectFrom('accounts')
    .select(['id', 'monitor_key'])
    .where('vmq_enabled', '=', 1)
    .orderBy('id')
    .execute();
  return rows.map((r) => ({ id: Number(r.id), key: r.monitor_key }));
}

/** Links `a` and `b` as V免签 peers, unlinking whatever either was linked with. */
export async function linkVmqPeers(trx: Kysely<Database>, a: number, b: number | null): Promise<void> {
  const ids = b === null ? [a] : [a, b];
  await trx.updateTable('accounts').set({ vmq_peer_id: null }).where('vmq_peer_id', 'in', ids).execute();
  await trx.updateTable('accounts').set({ vmq_peer_id: null }).where('id', 'in', ids).execute();
  if (b === null) return;
  await trx.updateTable('accounts').set({ vmq_peer_id: b }).where('id', '=', a).execute();
  await trx.updateTable('accounts').set({ vmq_peer_id: a }).where('id', '=', b).execute();
}

/** A monitor proved it is alive at `at` for these accounts. */
export async function recordHeartbeat(db: Kysely<Database>, accountIds: readonly number[], at: number) {
  if (accountIds.length === 0) return;
  await db
    .updateTable('accounts')
    .set({ last_heartbeat_at: at })
    .where('id', 'in', accountIds)
    .where((eb) => eb.or([eb('last_heartbeat_at', 'is', null), eb('last_heartbeat_at', '<', at)]))
    .execute();
}

export async function listFixedCodes(db: Kysely<Database>, accountId: number) {
  const rows = await db
    .selectFrom('account_codes')
    .select(['amount_cents', 'content'])
    .where('account_id', '=', accountId)
    .orderBy('amount_cents')
    .execute();
  return rows.map((r) => ({ amountCents: Number(r.amount_cents), content: r.content }));
}

/** How many fixed-amount codes each account has. */
export async function countFixedCodes(db: Kysely<Database>): Promise<Map<number, number>> {
  const rows = await db
    .selectFrom('account_codes')
    .select(['account_id', sql<number>`count(*)`.as('n')])
    .groupBy('account_id')
    .execute();
  return new Map(rows.map((r) => [Number(r.account_id), Number(r.n)]));
}

/** The fixed-amount QR code of an account for exactly `amountCents`, if it has one. */
export async function findFixedCode(
  db: Kysely<Database>,
  accountId: number,
  amountCents: number,
): Promise<string | null> {
  const row = await db
    .selectFrom('account_codes')
    .select('content')
    .where('account_id', '=', accountId)
    .where('amount_cents', '=', amountCents)
    .executeTakeFirst();
  return row?.content ?? null;
}

export async function upsertFixedCode(
  db: Kysely<Database>,
  accountId: number,
  amountCents: number,
  content: string,
) {
  await db
    .insertInto('account_codes')
    .values({ account_id: accountId, amount_cents: amountCents, content })
    .onConflict((oc) => oc.columns(['account_id', 'amount_cents']).doUpdateSet({ content }))
    .execute();
}

/** The account that received the merchant's last completed trade (smart rotation skips it). */
export async function lastPaidAccountId(db: Kysely<Database>, merchantId: number): Promise<number | null> {
  const row = (await lastPaid(db, merchantId)).rows[0];
  return row ? Number(row.account_id) : null;
}

const lastPaid = prepared<[number], { account_id: number }>((db, p) =>
  db
    .selectFrom('orders')
    .select('account_id')
    .where('merchant_id', '=', p(0))
    .where('paid_at', 'is not', null)
    .orderBy('paid_at', 'desc')
    .limit(1),
);

/**
 * Locks one account row (PostgreSQL) and returns what counts against its daily cap at `now`:
 * payments received since `dayStart` plus the realprices of its open orders. Called inside the
 * claim's transaction so that concurrent creations on a capped account are counted one by one.
 */
export async function lockAccountLoad(
  trx: Tx,
  accountId: number,
  dayStart: number,
  now: number,
): Promise<number> {
  await trx.selectFrom('accounts').select('id').where('id', '=', accountId).forUpdate().execute();
  const received = await trx
    .selectFrom('payments')
    .select(sql<number>`coalesce(sum(amount_cents), 0)`.as('s'))
    .where('account_id', '=', accountId)
    .where('paid_at', '>=', dayStart)
    .executeTakeFirstOrThrow();
  const pending = await trx
    .selectFrom('orders')
    .select(sql<number>`coalesce(sum(realprice_cents), 0)`.as('s'))
    .where('account_id', '=', accountId)
    .where('status', '=', 'unpaid')
    .where('expires_at', '>', now)
    .executeTakeFirstOrThrow();
  return Number(received.s) + Number(pending.s);
}

/**
 * Per account (of one merchant, or all): when its newest payment was paid and what it received
 * since `since`. Simulated payments (the simulator, the console's test payment) are left out:
 * this is the money that really arrived.
 */
export async function accountActivity(
  db: Kysely<Database>,
  merchantId: number | undefined,
  since: number,
): Promise<Map<number, { lastPaidAt: number | null; receivedCents: number }>> {
  let q = db.selectFrom('accounts as a').select((eb) => [
    'a.id',
    // Newest first along payments_account_paid_amount: the first real payment ends the walk.
    eb
      .selectFrom('payments as p')
      .select('p.paid_at')
      .whereRef('p.account_id', '=', 'a.id')
      .where('p.source', '!=', 'simulate')
      .orderBy('p.paid_at', 'desc')
      .limit(1)
      .as('last_paid_at'),
    eb
      .selectFrom('payments as p')
      .select(sql<number>`coalesce(sum(p.amount_cents), 0)`.as('s'))
      .whereRef('p.account_id', '=', 'a.id')
      .where('p.paid_at', '>=', since)
      .where('p.source', '!=', 'simulate')
      .as('received'),
  ]);
  if (merchantId !== undefined) q = q.where('a.merchant_id', '=', merchantId);
  const rows = await q.execute();
  return new Map(
    rows.map((r) => [
      Number(r.id),
      {
        lastPaidAt: r.last_paid_at === null || r.last_paid_at === undefined ? null : Number(r.last_paid_at),
        receivedCents: Number(r.received ?? 0),
      },
    ]),
  );
}
