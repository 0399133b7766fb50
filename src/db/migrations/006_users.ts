import { type ColumnDefinitionBuilder, type Kysely, sql } from 'kysely';
import type { Dialect } from '../connect.js';

type Col = (c: ColumnDefinitionBuilder) => ColumnDefinitionBuilder;
const nn: Col = (c) => c.notNull();

/**
 * Console users, their sessions, every sign-in attempt, and the one-time setup links printed on a
 * first start. Session ids and setup tokens are stored as SHA-256 hashes: a leaked database copy
 * or backup hands out no working cookie or link.
 */
export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  const idType = dialect === 'postgres' ? 'bigserial' : 'integer';
  const id: Col = (c) => (dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement());
  const zero: Col = (c) => c.notNull().defaultTo(0);

  await db.schema
    .createTable('users')
    .addColumn('id', idType, id)
    .addColumn('email', 'text', (c) =>
      c
        .notNull()
        .unique()
        .check(sql`email = lower(email)`),
    )
    .addColumn('password_hash', 'text', nn)
    .addColumn('role', 'text', (c) => c.notNull().check(sql`role in ('operator','merchant')`))
    .addColumn('merchant_id', 'bigint', (c) => c.references('merchants.id'))
    /** Active TOTP secret (base32); null: two-factor off. */
    .addColumn('totp_secret', 'text')
    /** Secret handed out by `totp/setup`, active only once a code from it is confirmed. */
    .addColumn('totp_pending_secret', 'text')
    /** The last TOTP time step accepted: a code is good once (RFC 6238 §5.2). */
    .addColumn('totp_last_step', 'bigint')
    .addColumn('failed_count', 'integer', zero)
    /** Start of the window `failed_count` counts in. */
    .addColumn('failed_since', 'bigint')
    .addColumn('locked_until', 'bigint')
    .addColumn('created_at', 'bigint', nn)
    .addColumn('disabled', 'integer', zero)
    // An operator sees every merchant; a merchant user exactly one.
    .addCheckConstraint(
      'users_role_merchant',
      sql`(role = 'operator' and merchant_id is null) or (role = 'merchant' and merchant_id is not null)`,
    )
    .execute();

  await db.schema
    .createTable('sessions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'bigint', (c) => c.notNull().references('users.id'))
    .addColumn('csrf_secret', 'text', nn)
    .addColumn('created_at', 'bigint', nn)
    .addColumn('last_seen_at', 'bigint', nn)
    .addColumn('expires_at', 'bigint', nn)
    .addColumn('ip', 'text', nn)
    .addColumn('user_agent', 'text', nn)
    .addColumn('revoked_at', 'bigint')
    .addColumn('reauth_until', 'bigint')
    .execute();
  await db.schema.createIndex('sessions_user').on('sessions').column('user_id').execute();

  await db.schema
    .createTable('sign_ins')
    .addColumn('id', idType, id)
    .addColumn('user_id', 'bigint', (c) => c.references('users.id'))
    .addColumn('email', 'text', nn)
    .addColumn('ip', 'text', nn)
    /** The key the per-address limit counts by: the IP, an IPv6 address reduced to its /64. */
    .addColumn('address', 'text', nn)
    .addColumn('at', 'bigint', nn)
    .addColumn('outcome', 'text', (c) =>
      c
        .notNull()
        .check(
          sql`outcome in ('ok','setup','bad_password','unknown_email','totp_required','bad_totp','locked','rate_limited','disabled','reauth','reauth_failed')`,
        ),
    )
    .execute();
  await db.schema.createIndex('sign_ins_address_at').on('sign_ins').columns(['address', 'at']).execute();
  await db.schema.createIndex('sign_ins_user_at').on('sign_ins').columns(['user_id', 'at']).execute();

  await db.schema
    .createTable('setup_tokens')
    .addColumn('token_hash', 'text', (c) => c.primaryKey())
    .addColumn('created_at', 'bigint', nn)
    .addColumn('expires_at', 'bigint', nn)
    .addColumn('used_at', 'bigint')
    .execute();
}
