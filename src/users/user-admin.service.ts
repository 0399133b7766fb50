import { insertAudit } from '../audit/audit.repository.js';
import type { Actor } from '../audit/audit.model.js';
import type { Db } from '../db/connect.js';
import { transact } from '../db/tx.js';
import { ConflictError, InvalidInputError, NotFoundError } from '../domain/errors.js';
import type { Clock } from '../lib/clock.js';
import { checkNewPassword, hashPassword } from './password.js';
import { SESSION_IDLE_MS, type SessionService } from './session.service.js';
import { type AddUserInput, type UserService } from './user.service.js';
import { publicUser, type Session, type User } from './user.model.js';
import {
  lastSignInTimes,
  liveSessionCounts,
  lockEnabledOperators,
  lockUserById,
  updateUser,
} from './user.repository.js';

/** The acting operator: the audit log's actor and the user id (nobody disables themselves). */
export interface AdminActor extends Actor {
  userId: number;
}

export interface UserOverview extends User {
  lastSignInAt: number | null;
  liveSessions: number;
}

/**
 * The operator's management of console users (the console's users page): list them, add one,
 * disable or enable, set a new password, see and revoke their sessions. Every change is audited
 * in the transaction that makes it; passwords never reach the audit log.
 */
export class UserAdminService {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly users: UserService,
    private readonly sessions: SessionService,
  ) {}

  async list(): Promise<UserOverview[]> {
    const now = this.clock();
    const [users, signIns, live] = await Promise.all([
      this.users.list(),
      lastSignInTimes(this.db.kysely),
      liveSessionCounts(this.db.kysely, now, now - SESSION_IDLE_MS),
    ]);
    return users.map((u) => ({
      ...u,
      lastSignInAt: signIns.get(u.id) ?? null,
      liveSessions: live.get(u.id) ?? 0,
    }));
  }

  add(input: AddUserInput, by: AdminActor): Promise<User> {
    return this.users.add(input, by);
  }

  /**
   * Disables a user (signed out everywhere at once: its sessions are revoked in the same
   * transaction) or enables it again. Refused for oneself and for the last enabled operator,
   * either of which would leave nobody able to manage the console.
   */
  async setDisabled(userId: number, disabled: boolean, by: AdminActor): Promise<User> {
    if (disabled && userId === by.userId) {
      throw new InvalidInputError('You cannot disable yourself. Ask another operator to do it.');
    }
    return transact(this.db, async (trx) => {
      // Operators first (all of them, in id order), then the user: the same order everywhere.
      const operators = disabled ? await lockEnabledOperators(trx) : [];
      const user = await lockUserById(trx, userId);
      if (!user) throw new NotFoundError(`user ${userId} not found`);
      if (disabled && user.role === 'operator' && !user.disabled) {
        if (operators.filter((id) => id !== userId).length === 0) {
          throw new ConflictError('This is the last enabled operator: add or enable another operator first.');
        }
      }
      let revoked = 0;
      if (user.disabled !== disabled) {
        await updateUser(trx, userId, { disabled: disabled ? 1 : 0 });
        if (disabled) revoked = await this.sessions.revokeAll(trx, userId);
        await insertAudit(trx, {
          at: this.clock(),
          actor: by.actor,
          action: disabled ? 'user.disable' : 'user.enable',
          subject: `user:${userId}`,
          detail: disabled ? { email: user.email, sessions_revoked: revoked } : { email: user.email },
        });
      }
      return publicUser({ ...user, disabled });
    });
  }

  /**
   * Sets a new password the operator chose (to pass on to the user), lifts a lock, and signs the
   * user out everywhere. Returns how many sessions were revoked.
   */
  async resetPassword(
    userId: number,
    password: string,
    by: AdminActor,
  ): Promise<{ user: User; sessionsRevoked: number }> {
    checkNewPassword(password);
    const passwordHash = await hashPassword(password);
    return transact(this.db, async (trx) => {
      const user = await lockUserById(trx, userId);
      if (!user) throw new NotFoundError(`user ${userId} not found`);
      await updateUser(trx, userId, {
        password_hash: passwordHash,
        failed_count: 0,
        failed_since: null,
        locked_until: null,
      });
      const sessionsRevoked = await this.sessions.revokeAll(trx, userId);
      await insertAudit(trx, {
        at: this.clock(),
        actor: by.actor,
        action: 'user.password_reset',
        subject: `user:${userId}`,
        detail: { email: user.email, sessions_revoked: sessionsRevoked },
      });
      return { user: publicUser({ ...user, lockedUntil: null }), sessionsRevoked };
    });
  }

  /** The user's sessions that still work, most recently used first. */
  async sessionsOf(userId: number): Promise<Session[]> {
    await this.users.get(userId);
    return this.sessions.list(userId);
  }

  /** Revokes one session of the user (`sessionId`), or all of them; audited. Returns how many. */
  async revokeSessions(
    userId: number,
    which: { sessionId: string } | 'all',
    by: AdminActor,
  ): Promise<number> {
    const user = await this.users.get(userId);
    return transact(this.db, async (trx) => {
      const n =
        which === 'all'
          ? await this.sessions.revokeAll(trx, userId)
          : await this.sessions.revokeOne(trx, userId, which.sessionId);
      if (which !== 'all' && n === 0)
        throw new NotFoundError('This session does not exist or has already ended.');
      if (n > 0) {
        await insertAudit(trx, {
          at: this.clock(),
          actor: by.actor,
          action: 'user.sessions_revoke',
          subject: `user:${userId}`,
          detail: { email: user.email, revoked: n, ...(which === 'all' ? { all: true } : {}) },
        });
      }
      return n;
    });
  }
}
