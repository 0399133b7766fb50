import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Db } from '../db/connect.js';
import type { Database } from '../db/schema.js';
import type { Clock } from '../lib/clock.js';
import { randomToken } from '../lib/tokens.js';
import {
  findSessionWithUser,
  insertSession,
  listLiveSessions,
  revokeSessions,
  setSessionReauth,
  touchSession,
} from './session.repository.js';
import { type ClientInfo, publicUser, type Session, type User } from './user.model.js';

/** A session ends this long after sign-in whatever happens, */
export const SESSION_MAX_AGE_MS = 30 * 24 * 3600_000;
/** or after this long unused. */
export const SESSION_IDLE_MS = 7 * 24 * 3600_000;
/** `last_seen_at` is written at most this often per session, not on every request. */
const TOUCH_EVERY_MS = 60_000;
/** A re-authentication (`POST /admin/api/reauth`) lets the session reveal secrets this long. */
export const REAUTH_MS = 5 * 60_000;

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
/** `randomToken(32)`: 43 base64url characters. */
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

export interface SignedIn {
  session: Session;
  user: User;
}

/**
 * Console sessions, stored in the database so that they can be listed and revoked, and survive a
 * restart. The cookie holds a random token; the database only its SHA-256, which is the
 * session's id.
 */
export class SessionService {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {}

  /** Opens a session for `userId`; called inside the sign-in's transaction. Returns the cookie's token. */
  async create(
    trx: Kysely<Database>,
    userId: number,
    client: ClientInfo,
  ): Promise<{ token: string; session: Session }> {
    const token = randomToken(32);
    const now = this.clock();
    const session: Session = {
      id: sha256(token),
      userId,
      csrfSecret: randomToken(32),
      createdAt: now,
      lastSeenAt: now,
      expiresAt: now + SESSION_MAX_AGE_MS,
      ip: client.ip,
      userAgent: client.userAgent.slice(0, 300),
      revokedAt: null,
      reauthUntil: null,
    };
    await insertSession(trx, {
      id: session.id,
      user_id: userId,
      csrf_secret: session.csrfSecret,
      created_at: now,
      last_seen_at: now,
      expires_at: session.expiresAt,
      ip: session.ip,
      user_agent: session.userAgent,
    });
    return { token, session };
  }

  /**
   * The session a cookie's token names, if it is still good: not revoked, not past its end, not
   * idle too long, and its user not disabled. Called on every console request.
   */
  async authenticate(token: string): Promise<SignedIn | null> {
    if (!TOKEN_SHAPE.test(token)) return null;
    const found = await findSessionWithUser(this.db.kysely, sha256(token));
    if (!found) return null;
    const { session, user } = found;
    const now = this.clock();
    if (!this.isLive(session, now) || user.disabled) return null;
    if (now - session.lastSeenAt >= TOUCH_EVERY_MS) {
      await touchSession(this.db.kysely, session.id, now);
      session.lastSeenAt = now;
    }
    return { session, user: publicUser(user) };
  }

  private isLive(s: Session, now: number): boolean {
    return s.revokedAt === null && s.expiresAt > now && now - s.lastSeenAt < SESSION_IDLE_MS;
  }

  /** The token a state-changing request must carry in `x-csrf-token`: HMAC of the session id. */
  csrfToken(session: Session): string {
    return createHmac('sha256', session.csrfSecret).update(session.id).digest('base64url');
  }

  /** Compares in constant time, so the answer time tells nothing about how much was right. */
  checkCsrf(session: Session, presented: string | undefined): boolean {
    if (presented === undefined) return false;
    const want = Buffer.from(this.csrfToken(session));
    const got = Buffer.from(presented);
    return got.length === want.length && timingSafeEqual(got, want);
  }

  /** The user's sessions that still work, most recently used first. */
  async list(userId: number): Promise<Session[]> {
    const now = this.clock();
    return (await listLiveSessions(this.db.kysely, userId, now)).filter((s) => this.isLive(s, now));
  }

  /** Revokes one of the user's own sessions; false when it has none by that id (or it was revoked). */
  async revoke(userId: number, sessionId: string): Promise<boolean> {
    return (await revokeSessions(this.db.kysely, userId, this.clock(), { only: sessionId })) > 0;
  }

  /** "Sign out everywhere else". Returns how many sessions were revoked. */
  revokeOthers(userId: number, currentId: string): Promise<number> {
    return revokeSessions(this.db.kysely, userId, this.clock(), { except: currentId });
  }

  /** One session of the user, by id, in the caller's transaction (an operator revoking it). 1 or 0. */
  revokeOne(db: Kysely<Database>, userId: number, sessionId: string): Promise<number> {
    return revokeSessions(db, userId, this.clock(), { only: sessionId });
  }

  /** Every session of the user (a password change); `db` may be the transaction of that change. */
  revokeAll(db: Kysely<Database>, userId: number): Promise<number> {
    return revokeSessions(db, userId, this.clock());
  }

  /** True while a re-authentication on this session is fresh (see `REAUTH_MS`). */
  hasFreshAuth(session: Session): boolean {
    return session.reauthUntil !== null && session.reauthUntil > this.clock();
  }

  async markReauthenticated(db: Kysely<Database>, session: Session): Promise<number> {
    const until = this.clock() + REAUTH_MS;
    await setSessionReauth(db, session.id, until);
    return until;
  }
}
