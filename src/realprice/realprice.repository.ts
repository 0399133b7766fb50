import type { Selectable } from 'kysely';
import { prepared } from '../db/prepared.js';
import type { OrderTable } from '../db/schema.js';
import type { Tx } from '../db/tx.js';

/** Slot rows: (account, type, amount) is the claim, `hold_until` its lease. Only this module writes them. */

const heldQuery = prepared<[number, string, number, number, number], { amount_cents: number }>((db, p) =>
  db
    .selectFrom('slots')
    .select('amount_cents')
    .where('account_id', '=', p(0))
    .where('type', '=', p(1))
    .where('amount_cents', '>=', p(2))
    .where('amount_cents', '<=', p(3))
    .where('hold_until', '>=', p(4)),
);

/** Amounts in [lo, hi] still held on one account and type at `now`. */
export async function heldAmounts(
  trx: Tx,
  accountId: number,
  type: string,
  lo: number,
  hi: number,
  now: number,
): Promise<Set<number>> {
  const { rows } = await heldQuery(trx, accountId, type, lo, hi, now);
  return new Set(rows.map((r) => Number(r.amount_cents)));
}

const claimQuery = prepared<[number, string, number, string, number, number], { order_token: string }>(
  (db, p) =>
    db
      .insertInto('slots')
      .values({ account_id: p(0), type: p(1), amount_cents: p(2), order_token: p(3), hold_until: p(4) })
      .onConflict((oc) =>
        oc
          .columns(['account_id', 'type', 'amount_cents'])
          .doUpdateSet((eb) => ({
            order_token: eb.ref('excluded.order_token'),
            hold_until: eb.ref('excluded.hold_until'),
          }))
          .where('slots.hold_until', '<', p(5)),
      )
      .returning('order_token'),
);

/**
 * Claims one slot with a single atomic statement: insert it, or take over a row whose hold has
 * lapsed at `now`. Two concurrent claims of the same slot can never both succeed, on SQLite or
 * PostgreSQL (there the loser waits for the winner's commit, then finds the hold current).
 */
export async function claimSlot(
  trx: Tx,
  slot: { accountId: number; type: string; amountCents: number; orderToken: string; holdUntil: number },
  now: number,
): Promise<boolean> {
  const { rows } = await claimQuery(
    trx,
    slot.accountId,
    slot.type,
    slot.amountCents,
    slot.orderToken,
    slot.holdUntil,
    now,
  );
  return rows[0]?.order_token === slot.orderToken;
}

/** Frees the slot an order holds, if it still holds it (a lapsed hold may belong to a newer order). */
export async function releaseSlot(trx: Tx, orderToken: string): Promise<void> {
  await trx.deleteFrom('slots').where('order_token', '=', orderToken).execute();
}

/**
 * Orders that held the slot (account, type, amount) at some time in [from, to], oldest first,
 * locked (PostgreSQL) so their status cannot change under the caller. Index `orders_slot_time`.
 */
export async function lockOrdersOnSlot(
  trx: Tx,
  slot: { accountId: number; type: string; amountCents: number },
  from: number,
  to: number,
): Promise<Array<Selectable<OrderTable>>> {
  return trx
    .selectFrom('orders')
    .selectAll()
    .where('account_id', '=', slot.accountId)
    .where('type', '=', slot.type)
    .where('realprice_cents', '=', slot.amountCents)
    .where('created_at', '<=', to)
    .where('hold_until', '>=', from)
    .orderBy('created_at')
    .orderBy('id')
    .forUpdate()
    .execute();
}
