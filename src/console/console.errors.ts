import { isConnectionError, LostUpdateError } from '../db/tx.js';
import { ConflictError, InvalidInputError, NotFoundError } from '../domain/errors.js';
import { AuthError, type AuthRefusal } from '../users/user.errors.js';

/** A refusal of the admin API: HTTP status, snake_case code, and a sentence for a shop owner. */
export class ConsoleError extends Error {
  override name = 'ConsoleError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}

export const consoleErrors = {
  unauthenticated: () => new ConsoleError(401, 'unauthenticated', 'Sign in to continue.'),
  forbidden: () => new ConsoleError(403, 'forbidden', 'Only the operator can do this.'),
  csrf: () =>
    new ConsoleError(
      403,
      'csrf',
      'This request did not come from the console page. Reload the page and try again.',
    ),
  /** Also what a merchant user gets for another merchant's data: the same answer as for none at all. */
  notFound: () => new ConsoleError(404, 'not_found', 'Not found.'),
};

const AUTH_STATUS: Record<AuthRefusal, number> = {
  bad_credentials: 401,
  totp_required: 401,
  locked: 429,
  rate_limited: 429,
  disabled: 403,
  bad_password: 403,
  setup_invalid: 400,
  reauth_required: 403,
};

interface ValidationIssue {
  instancePath?: string;
  keyword?: string;
  message?: string;
  params?: { missingProperty?: string };
}

/** Fastify's schema validation failure, as a sentence naming the field. */
function validationMessage(err: { validation?: ValidationIssue[] }) {
  const first = err.validation?.[0];
  if (first?.keyword === 'required' && first.params?.missingProperty) {
    return `The field "${first.params.missingProperty}" is required.`;
  }
  const field = (first?.instancePath ?? '').replace(/^\//, '').replace(/\//g, '.');
  const what = first?.message ?? 'is not valid';
  return field ? `Check the field "${field}": it ${what}.` : `The request is not valid: it ${what}.`;
}

/**
 * Every error of the admin API as the contract's JSON body. Only statuses below 500 carry the
 * error's own message; anything else is a bug, logged by the caller and answered in general terms.
 */
export function toConsoleError(
  err: Error & { statusCode?: number; code?: string; validation?: unknown[] },
): ConsoleError {
  if (err instanceof ConsoleError) return err;
  if (err instanceof AuthError) {
    return new ConsoleError(AUTH_STATUS[err.code], err.code, err.message, err.retryAfterSeconds);
  }
  if (err instanceof InvalidInputError) return new ConsoleError(400, 'invalid_input', err.message);
  if (err instanceof NotFoundError) return new ConsoleError(404, 'not_found', err.message);
  if (err instanceof ConflictError) return new ConsoleError(409, 'conflict', err.message);
  if (err instanceof LostUpdateError) {
    return new ConsoleError(
      409,
      'conflict',
      'The data changed while this was being saved. Reload and try again.',
    );
  }
  if (isConnectionError(err)) {
    return new ConsoleError(
      503,
      'unavailable',
      'The database is unavailable right now. Try again shortly.',
      1,
    );
  }
  if (err.validation) {
    return new ConsoleError(
      400,
      'invalid_input',
      validationMessage(err as Parameters<typeof validationMessage>[0]),
    );
  }
  if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    return new ConsoleError(415, 'unsupported_media_type', 'Send the request body as JSON.');
  }
  const status = err.statusCode ?? 500;
  if (status >= 400 && status < 500) {
    return new ConsoleError(
      status,
      'bad_request',
      `The request could not be read: ${err.message.slice(0, 200)}`,
    );
  }
  return new ConsoleError(
    500,
    'internal',
    'Something went wrong on the server. Try again; if it keeps happening, the operator finds the details in the server log.',
  );
}
