import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Actor } from '../audit/audit.model.js';
import { insertAudit } from '../audit/audit.repository.js';
import type { Db } from '../db/connect.js';
import { isUniqueViolation } from '../db/errors.js';
import type { Database } from '../db/schema.js';
import { transact } from '../db/tx.js';
import { ConflictError, InvalidInputError, NotFoundError } from '../domain/errors.js';
import type { Clock } from '../lib/clock.js';
import { randomToken } from '../lib/tokens.js';
import { findMerchantById } from '../merchants/merchant.repository.js';
import { checkNewPassword, hashPassword, verifyDecoy, verifyPassword } from './password.js';
import type { SessionService, SignedIn } from './session.service.js';
import { authErrors, type AuthError } from './user.errors.js';
import {
  type ClientInfo,
  publicUser,
  ROLES,
  type Role,
  type Session,
  type SignInOutcome,
  type User,
  type UserSecrets,
} from './user.model.js';
import {
  acceptTotpStep,
  addressFailures,
  consumeSetupTokens,
  findUserByEmail,
  findUserById,
  hasUsers,
  insertSetupToken,
  insertSignIn,
  insertUser,
  listSignIns,
  listUsers,
  lockUserById,
  setupTokenUsable,
  updateUser,
} from './user.repository.js';
import { newTotpSecret, totpStep, totpUri } from './totp.js';

/** Per account: this many failed sign-ins within `FAILURE_WINDOW_MS` lock it for `LOCK_MS`. */
export const LOCK_AFTER_FAILURES = 5;
export const FAILURE_WINDOW_MS = 15 * 60_000;
export const LOCK_MS = 15 * 60_000;
/** Per address: failed sign-ins counted over this window (the limit itself is configuration). */
export const ADDRESS_WINDOW_MS = 15 * 60_000;
/** How long a printed setup link works. */
export const SETUP_TTL_MS = 3600_000;

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const EMAIL_SHAPE = /^[^\s@]+@[^\s@]+$/;

export interface UserServiceOptions {
  /** Failed sign-ins from one address within `ADDRESS_WINDOW_MS` after which it gets 429. */
  failuresPerAddress: number;
  /** The password check; tests replace it to hold one open while others run. */
  verify?: (passwordHash: string, password: string) => Promise<boolean>;
}

export interface AddUserInput {
  email: string;
  password: string;
  role: string;
  merchantId?: number | null;
}

/** A new session: the cookie's token, the session, and whom it belongs to. */
export interface SignInResult {
  user: User;
  token: string;
  session: Session;
}

const seconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));

/**
 * Console users: adding them and their passwords (CLI, setup link), signing in with lockout per
 * account and per address, two-factor codes, re-authentication. Every sign-in attempt, whatever
 * its outcome, leaves a `sign_ins` row. Passwords are only ever hashed or verified here, and
 * never appear in an error, a log line or a return value.
 */
export class UserService {
  private readonly verify: NonNullable<UserServiceOptions['verify']>;

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    readonly sessions: SessionService,
    private readonly opts: UserServiceOptions,
  ) {
    this.verify = opts.verify ?? verifyPassword;
  }

  /** Lowercase and trimmed; refuses what cannot be an email address. */
  normalizeEmail(raw: string): string {
    const email = raw.trim().toLowerCase();
    if (email.length > 254 || !EMAIL_SHAPE.test(email)) {
      throw new InvalidInputError('Enter a valid email address, like owner@example.com.');
    }
    return email;
  }

  /** A new console user (CLI `user add`, the console's users page); audited when `by` is given. */
  async add(input: AddUserInput, by?: Actor): Promise<User> {
    if (!(ROLES as readonly string[]).includes(input.role)) {
      throw new InvalidInputError('The role must be operator or merchant.');
    }
    const role = input.role as Role;
    const merchantId = input.merchantId ?? null;
    if (role === 'merchant') {
      if (merchantId === null)
        throw new InvalidInputError('A merchant user needs the merchant it belongs to.');
      if (!(await findMerchantById(this.db.kysely, merchantId))) {
        throw new NotFoundError(`merchant ${merchantId} not found`);
      }
    } else if (merchantId !== null) {
      throw new InvalidInputError('An operator sees every merchant and belongs to none.');
    }
    const email = this.normalizeEmail(input.email);
    checkNewPassword(input.password);
    const passwordHash = await hashPassword(input.password);
    try {
      const id = await transact(this.db, async (trx) => {
        const id = await insertUser(trx, {
          email,
          password_hash: passwordHash,
          role,
          merchant_id: merchantId,
          created_at: this.clock(),
        });
        if (by) {
          await insertAudit(trx, {
            at: this.clock(),
            actor: by.actor,
            action: 'user.add',
            subject: `user:${id}`,
            detail: { email, role, merchant_id: merchantId },
          });
        }
        return id;
      });
      return this.get(id);
    } catch (err) {
      if (isUniqueViolation(err)) throw new ConflictError(`a user with email ${email} already exists`);
      throw err;
    }
  }

  async get(id: number): Promise<User> {
    const u = await findUserById(this.db.kysely, id);
    if (!u) throw new NotFoundError(`user ${id} not found`);
    return publicUser(u);
  }

  async findByEmail(rawEmail: string): Promise<User | null> {
    const u = await findUserByEmail(this.db.kysely, this.normalizeEmail(rawEmail));
    return u ? publicUser(u) : null;
  }

  /** The latest sign-in attempts, newest first; of one user with `userId`. */
  signIns(opts: { userId?: number; limit?: number } = {}) {
    return listSignIns(this.db.kysely, opts);
  }

  async list(): Promise<User[]> {
    return (await listUsers(this.db.kysely)).map(publicUser);
  }

  /**
   * Sets a new password, lifts a lock and signs the user out everywhere: whoever knew the old
   * password or holds an old session is out.
   */
  async setPassword(rawEmail: string, password: string): Promise<{ user: User; sessionsRevoked: number }> {
    const email = this.normalizeEmail(rawEmail);
    const user = await findUserByEmail(this.db.kysely, email);
    if (!user) throw new NotFoundError(`no user with email ${email}`);
    checkNewPassword(password);
    const passwordHash = await hashPassword(password);
    const sessionsRevoked = await transact(this.db, async (trx) => {
      await updateUser(trx, user.id, {
        password_hash: passwordHash,
        failed_count: 0,
        failed_since: null,
        locked_until: null,
      });
      return this.sessions.revokeAll(trx, user.id);
    });
    return { user: await this.get(user.id), sessionsRevoked };
  }

  // ---- first start ----

  /**
   * On a start with no users: a new one-time link for creating the operator, valid for
   * `SETUP_TTL_MS`; null once any user exists. The link is a secret, printed once to the log.
   */
  async openSetup(publicUrl: string): Promise<string | null> {
    if (await hasUsers(this.db.kysely)) return null;
    const token = randomToken(32);
    const now = this.clock();
    await insertSetupToken(this.db.kysely, sha256(token), now, now + SETUP_TTL_MS);
    return `${publicUrl}/admin/setup?token=${token}`;
  }

  /** Whether the setup page should offer the form. */
  async setupTokenValid(token: string): Promise<boolean> {
    if (await hasUsers(this.db.kysely)) return false;
    return setupTokenUsable(this.db.kysely, sha256(token), this.clock());
  }

  /** Creates the first operator from a setup link and signs it in. The link works once. */
  async completeSetup(
    input: { token: string; email: string; password: string },
    client: ClientInfo,
  ): Promise<SignInResult> {
    const email = this.normalizeEmail(input.email);
    checkNewPassword(input.password);
    if (!(await this.setupTokenValid(input.token))) throw authErrors.setupInvalid();
    const passwordHash = await hashPassword(input.password);
    return transact(this.db, async (trx) => {
      const now = this.clock();
      // Thrown, not returned: the transaction must roll back the tokens it consumed.
      if (!(await consumeSetupTokens(trx, now)).includes(sha256(input.token)))
        throw authErrors.setupInvalid();
      if (await hasUsers(trx)) throw authErrors.setupInvalid();
      const id = await insertUser(trx, {
        email,
        password_hash: passwordHash,
        role: 'operator',
        merchant_id: null,
        created_at: now,
      });
      const { token, session } = await this.sessions.create(trx, id, client);
      await this.record(trx, { userId: id, email, client, outcome: 'setup' });
      const user = await findUserById(trx, id);
      return { user: publicUser(user as UserSecrets), token, session };
    });
  }

  // ---- signing in ----

  /**
   * Signs in with email, password and (when two-factor is on) a TOTP code. Refusals, cheapest
   * first: the address over its limit, an unknown email (after a decoy hash, so timing tells
   * nothing), a locked account, a wrong password, a missing or wrong code. Wrong passwords and
   * wrong codes count towards the account's lock; the lock is checked again inside the
   * transaction that opens the session, so guesses sent in parallel cannot outrun it.
   */
  async signIn(
    input: { email: string; password: string; totp?: string },
    client: ClientInfo,
  ): Promise<SignInResult> {
    const email = input.email.trim().toLowerCase().slice(0, 254);
    const limited = await this.addressRetryAfter(client.address);
    if (limited !== null) {
      await this.record(this.db.kysely, { userId: null, email, client, outcome: 'rate_limited' });
      throw authErrors.rateLimited(limited);
    }
    const user = await findUserByEmail(this.db.kysely, email);
    if (!user) {
      await verifyDecoy(input.password);
      await this.record(this.db.kysely, { userId: null, email, client, outcome: 'unknown_email' });
      throw authErrors.badCredentials();
    }
    const lockedFor = this.lockedFor(user);
    if (lockedFor !== null) {
      await this.record(this.db.kysely, { userId: user.id, email, client, outcome: 'locked' });
      throw authErrors.locked(lockedFor);
    }
    if (!(await this.verify(user.passwordHash, input.password))) {
      throw await this.fail(user, client, 'bad_password', authErrors.badCredentials());
    }
    let step: number | null = null;
    if (user.totpSecret !== null) {
      const code = (input.totp ?? '').replace(/\s+/g, '');
      if (code === '') {
        // The password was right but proves nothing alone: the failure count stays as it is.
        await this.record(this.db.kysely, { userId: user.id, email, client, outcome: 'totp_required' });
        throw authErrors.totpRequired();
      }
      step = totpStep(user.totpSecret, code, this.clock());
      if (step === null) {
        throw await this.fail(user, client, 'bad_totp', authErrors.badTotp());
      }
    }
    const out = await transact(this.db, async (trx): Promise<SignInResult | AuthError> => {
      const u = await lockUserById(trx, user.id);
      if (!u) return authErrors.badCredentials();
      const stillLocked = this.lockedFor(u);
      if (stillLocked !== null) {
        await this.record(trx, { userId: u.id, email, client, outcome: 'locked' });
        return authErrors.locked(stillLocked);
      }
      if (u.disabled) {
        await this.record(trx, { userId: u.id, email, client, outcome: 'disabled' });
        return authErrors.disabled();
      }
      if (step !== null && (await acceptTotpStep(trx, u.id, step)) === 0) {
        // A code already used (seen over a shoulder, or sent twice): good once only. Not counted
        // as a guess, it was right once.
        await this.record(trx, { userId: u.id, email, client, outcome: 'bad_totp' });
        return authErrors.badTotp();
      }
      await updateUser(trx, u.id, { failed_count: 0, failed_since: null, locked_until: null });
      const { token, session } = await this.sessions.create(trx, u.id, client);
      await this.record(trx, { userId: u.id, email, client, outcome: 'ok' });
      return { user: publicUser(u), token, session };
    });
    if (out instanceof Error) throw out;
    return out;
  }

  /**
   * Re-authentication on a signed-in session before revealing a secret: the password again,
   * counted like a sign-in (a stolen session must not become a password oracle). Returns until
   * when the session counts as freshly authenticated.
   */
  async reauthenticate(signedIn: SignedIn, password: string, client: ClientInfo): Promise<number> {
    const user = await this.confirmPassword(signedIn.user.id, password, client);
    return transact(this.db, async (trx) => {
      await updateUser(trx, user.id, { failed_count: 0, failed_since: null });
      await this.record(trx, { userId: user.id, email: user.email, client, outcome: 'reauth' });
      return this.sessions.markReauthenticated(trx, signedIn.session);
    });
  }

  // ---- two-factor ----

  /** Starts two-factor setup: a new secret to scan, active only once `enableTotp` confirms a code. */
  async beginTotp(userId: number): Promise<{ secret: string; uri: string }> {
    const user = await this.secretsOf(userId);
    if (user.totpSecret !== null) {
      throw new ConflictError('Two-factor sign-in is already on. Turn it off first to set up a new device.');
    }
    const secret = newTotpSecret();
    await updateUser(this.db.kysely, userId, { totp_pending_secret: secret });
    return { secret, uri: totpUri(secret, user.email) };
  }

  /** Turns two-factor on once the person proves their app shows the right codes. */
  async enableTotp(userId: number, code: string): Promise<User> {
    const user = await this.secretsOf(userId);
    if (user.totpSecret !== null) throw new ConflictError('Two-factor sign-in is already on.');
    if (user.totpPendingSecret === null) throw new InvalidInputError('Start two-factor setup first.');
    const step = totpStep(user.totpPendingSecret, code.replace(/\s+/g, ''), this.clock());
    if (step === null) {
      throw new InvalidInputError(
        'The code is wrong. Enter the current 6-digit code from your authenticator app.',
      );
    }
    await updateUser(this.db.kysely, userId, {
      totp_secret: user.totpPendingSecret,
      totp_pending_secret: null,
      totp_last_step: step,
    });
    return this.get(userId);
  }

  /** Turns two-factor off; needs the password, checked like a sign-in. */
  async disableTotp(userId: number, password: string, client: ClientInfo): Promise<User> {
    await this.confirmPassword(userId, password, client);
    await updateUser(this.db.kysely, userId, {
      totp_secret: null,
      totp_pending_secret: null,
      totp_last_step: null,
    });
    return this.get(userId);
  }

  // ---- internals ----

  private async secretsOf(userId: number): Promise<UserSecrets> {
    const u = await findUserById(this.db.kysely, userId);
    if (!u) throw new NotFoundError(`user ${userId} not found`);
    return u;
  }

  /** The password of a signed-in user, with the same lock and failure counting as a sign-in. */
  private async confirmPassword(userId: number, password: string, client: ClientInfo): Promise<UserSecrets> {
    const user = await this.secretsOf(userId);
    const lockedFor = this.lockedFor(user);
    if (lockedFor !== null) throw authErrors.locked(lockedFor);
    if (!(await this.verify(user.passwordHash, password))) {
      throw await this.fail(user, client, 'reauth_failed', authErrors.badPassword());
    }
    return user;
  }

  /** Seconds the account stays locked, or null. */
  private lockedFor(u: UserSecrets): number | null {
    const now = this.clock();
    return u.lockedUntil !== null && u.lockedUntil > now ? seconds(u.lockedUntil - now) : null;
  }

  /** Seconds until the address may try again, or null when it is under its limit. */
  private async addressRetryAfter(address: string): Promise<number | null> {
    const now = this.clock();
    const { count, oldest } = await addressFailures(this.db.kysely, address, now - ADDRESS_WINDOW_MS);
    if (count < this.opts.failuresPerAddress || oldest === null) return null;
    return seconds(oldest + ADDRESS_WINDOW_MS - now);
  }

  /**
   * Counts a wrong password or code against the account and records the attempt, in one
   * transaction. Returns the error to throw: `refusal`, or `locked` when this failure locked it.
   */
  private async fail(
    user: UserSecrets,
    client: ClientInfo,
    outcome: SignInOutcome,
    refusal: AuthError,
  ): Promise<AuthError> {
    const lockedUntil = await transact(this.db, async (trx) => {
      await this.record(trx, { userId: user.id, email: user.email, client, outcome });
      const u = await lockUserById(trx, user.id);
      if (!u) return null;
      const now = this.clock();
      if (u.lockedUntil !== null && u.lockedUntil > now) return u.lockedUntil;
      const fresh = u.failedSince === null || now - u.failedSince >= FAILURE_WINDOW_MS;
      const count = fresh ? 1 : u.failedCount + 1;
      if (count >= LOCK_AFTER_FAILURES) {
        await updateUser(trx, u.id, { failed_count: 0, failed_since: null, locked_until: now + LOCK_MS });
        return now + LOCK_MS;
      }
      await updateUser(trx, u.id, { failed_count: count, failed_since: fresh ? now : u.failedSince });
      return null;
    });
    return lockedUntil === null ? refusal : authErrors.locked(seconds(lockedUntil - this.clock()));
  }

  private async record(
    db: Kysely<Database>,
    e: { userId: number | null; email: string; client: ClientInfo; outcome: SignInOutcome },
  ): Promise<void> {
    await insertSignIn(db, {
      user_id: e.userId,
      email: e.email.slice(0, 254),
      ip: e.client.ip,
      address: e.client.address,
      at: this.clock(),
      outcome: e.outcome,
    });
  }
}
