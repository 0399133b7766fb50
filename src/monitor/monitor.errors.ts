/**
 * The one catalogue of monitor API refusals (docs/monitor-api.md "Errors"; a test keeps the two
 * in step). Every refusal is `{"error": code, "message": text}` with this HTTP status.
 */
export const MONITOR_ERRORS = {
  missing_auth: {
    status: 401,
    message: 'X-Shouyin-Account, X-Shouyin-Timestamp and X-Shouyin-Signature are required',
  },
  bad_signature: { status: 401, message: 'the signature does not match' },
  stale_timestamp: { status: 401, message: 'X-Shouyin-Timestamp is more than 300 seconds from server time' },
  account_disabled: {
    status: 403,
    message: 'the account is disabled and none of its orders is open or in grace; it takes no payments',
  },
  malformed: { status: 400, message: 'the body is not what this endpoint takes' },
  too_large: { status: 413, message: 'the body is larger than 256 KiB or holds more than 500 payments' },
  not_found: { status: 404, message: 'no such monitor endpoint' },
  internal: { status: 500, message: 'internal error; send the same request again' },
  unavailable: { status: 503, message: 'the database is unavailable; send the same request again shortly' },
} as const;

export type MonitorErrorCode = keyof typeof MONITOR_ERRORS;

/** A refusal of a whole monitor request; `message` may be more precise than the catalogue's. */
export class MonitorError extends Error {
  override name = 'MonitorError';
  readonly status: number;
  constructor(
    readonly code: MonitorErrorCode,
    message?: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message ?? MONITOR_ERRORS[code].message);
    this.status = MONITOR_ERRORS[code].status;
  }

  body() {
    return { error: this.code, message: this.message, ...this.extra };
  }
}
