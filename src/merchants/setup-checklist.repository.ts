import { type Kysely, sql } from 'kysely';
import type { Database } from '../db/schema.js';

/** What the setup checklist is computed from, in one round trip of cheap, indexed reads. */
export interface SetupFacts {
  accounts: number;
  /** Newest heartbeat of any of the merchant's accounts; null when no monitor ever reported. */
  lastHeartbeatAt: number | null;
  /**
   * True when the merchant has at least one paid order: a paid test order (origin 'test') proves
   * the setup, and so does a real one. Not told apart, so that the read stays one index seek.
   */
  hasPaidOrder: boolean;
}

export async function findSetupFacts(db: Kysely<Database>, merchantId: number): Promise<SetupFacts> {
  const row = await db
    .selectNoFrom((eb) => [
      eb
        .selectFrom('accounts')
        .select(sql<number>`count(*)`.as('n'))
        .where('merchant_id', '=', merchantId)
        .as('accounts'),
      eb
        .selectFrom('accounts')
        .select((e) => e.fn.max('last_heartbeat_at').as('at'))
        .where('merchant_id', '=', merchantId)
        .as('last_heartbeat_at'),
      // orders_merchant_paid (merchant_id, paid_at): one seek to the first paid order.
      eb
        .selectFrom('orders')
        .select('id')
        .where('merchant_id', '=', merchantId)
        .where('paid_at', 'is not', null)
        .where('status', '=', 'paid')
        .limit(1)
        .as('paid_order'),
    ])
    .executeTakeFirstOrThrow();
  return {
    accounts: Number(row.accounts ?? 0),
    lastHeartbeatAt: row.last_heartbeat_at == null ? null : Number(row.last_heartbeat_at),
    hasPaidOrder: row.paid_order != null,
  };
}
