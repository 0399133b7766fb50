import { resolve } from 'node:path';
import { ConfigError } from '../config.js';
import { DatabaseUnavailableError, isConnectionError, LostUpdateError } from '../db/tx.js';
import { ConflictError, GatewayError, InvalidInputError, NotFoundError } from '../domain/errors.js';

/** Exit codes of `shouyin`: 0 done, 1 refused or failed, 2 usage or configuration, 3 database not ready or unreachable. */
export const EXIT = { ok: 0, refused: 1, usage: 2, database: 3 } as const;

/**
 * The database a `DATABASE_URL` names, as an operator should read it in a message: a SQLite
 * file's absolute path (relative paths depend on the folder the command ran in), or the
 * PostgreSQL URL without its password.
 */
export function describeDatabase(url: string): string {
  if (url.startsWith('sqlite:')) {
    const path = url.slice('sqlite:'.length);
    return path === ':memory:' ? 'in-memory SQLite' : resolve(path);
  }
  try {
    const u = new URL(url);
    u.password = '';
    return u.toString();
  } catch {
    return 'postgres (unparsable DATABASE_URL)';
  }
}

/** The database is absent, or older than this code: the operator must migrate before using it. */
export class DatabaseNotReadyError extends Error {
  override name = 'DatabaseNotReadyError';
}

/** Opening the database failed (before any command ran); `cause` says why. */
export class DatabaseOpenError extends Error {
  override name = 'DatabaseOpenError';
}

export interface CliFailure {
  exitCode: number;
  /** The error's class, for `--json`. */
  name: string;
  /** One line for a person (a known multi-problem refusal may list its problems below it). */
  message: string;
  /** Whether the message is about the database, so `--json` names it too. */
  aboutDatabase: boolean;
}

const code = (err: unknown): string | undefined => {
  const c = (err as { code?: unknown } | null)?.code;
  return typeof c === 'string' ? c : undefined;
};

/** The first line of an error's message, or its code or name when it has none. */
const firstLine = (err: unknown): string => {
  if (!(err instanceof Error)) return String(err);
  return err.message.split('\n')[0]?.trim() || code(err) || err.name;
};

/** SQLite result codes (and their extended forms, `SQLITE_BUSY_SNAPSHOT`, …) an operator can act on. */
function sqliteProblem(c: string, database: string): string | undefined {
  const base = c.split('_').slice(0, 2).join('_');
  switch (base) {
    case 'SQLITE_BUSY':
    case 'SQLITE_LOCKED':
      return `database ${database} is busy: another process held its write lock too long; try again`;
    case 'SQLITE_NOTADB':
    case 'SQLITE_CORRUPT':
      return `${database} is not a SQLite database, or it is damaged`;
    case 'SQLITE_CANTOPEN':
      return `cannot open database ${database}`;
    case 'SQLITE_READONLY':
    case 'SQLITE_PERM':
      return `database ${database} is read-only for this user`;
    case 'SQLITE_FULL':
      return `the disk holding database ${database} is full`;
    case 'SQLITE_IOERR':
      return `input/output error on database ${database} (${c})`;
    default:
      return undefined;
  }
}

/**
 * What the CLI tells the operator about an error: every error becomes one line and an exit code,
 * never a stack trace. `database` is what `describeDatabase` said about the database in use.
 */
export function explainFailure(err: unknown, database: string): CliFailure {
  const refused = (message: string): CliFailure => ({
    exitCode: EXIT.refused,
    name: (err as Error).name,
    message,
    aboutDatabase: false,
  });
  const dbProblem = (message: string): CliFailure => ({
    exitCode: EXIT.database,
    name: err instanceof DatabaseNotReadyError ? err.name : 'DatabaseError',
    message,
    aboutDatabase: true,
  });

  if (err instanceof InvalidInputError || err instanceof ConflictError || err instanceof GatewayError) {
    return refused(err.message);
  }
  if (err instanceof NotFoundError) {
    return { ...refused(`${err.message} (database ${database})`), aboutDatabase: true };
  }
  if (err instanceof LostUpdateError) {
    return refused('the data changed while this command ran; nothing was saved, run it again');
  }
  if (err instanceof ConfigError) {
    return {
      exitCode: EXIT.usage,
      name: err.name,
      message: `configuration: ${err.message}`,
      aboutDatabase: false,
    };
  }
  if (err instanceof DatabaseNotReadyError) return dbProblem(err.message);

  // The driver's own error says most: ECONNREFUSED, SQLITE_BUSY, a SQLSTATE.
  const unwrap = (e: unknown): unknown =>
    (e instanceof DatabaseOpenError || e instanceof DatabaseUnavailableError) && e.cause !== undefined
      ? unwrap(e.cause)
      : e;
  const cause = unwrap(err);
  const c = code(cause);
  if (c?.startsWith('SQLITE_')) {
    return dbProblem(sqliteProblem(c, database) ?? `database ${database}: ${firstLine(cause)}`);
  }
  if (err instanceof DatabaseUnavailableError || isConnectionError(cause)) {
    const why = firstLine(cause);
    return dbProblem(`cannot reach database ${database}: ${c && !why.includes(c) ? `${c} ${why}` : why}`);
  }
  // PostgreSQL SQLSTATEs: class 28 is a refused login, 3D000 an unknown database name.
  if (c !== undefined && /^[0-9A-Z]{5}$/.test(c)) {
    if (c.startsWith('28')) return dbProblem(`database ${database} refused the login: ${firstLine(cause)}`);
    return dbProblem(`database ${database}: ${firstLine(cause)}`);
  }
  if (err instanceof DatabaseOpenError)
    return dbProblem(`cannot open database ${database}: ${firstLine(cause)}`);
  const name = err instanceof Error ? err.name : 'Error';
  return {
    exitCode: EXIT.refused,
    name,
    message: name === 'Error' ? firstLine(err) : `${name}: ${firstLine(err)}`,
    aboutDatabase: false,
  };
}
