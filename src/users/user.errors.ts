/**
 * Why a sign-in, setup or re-authentication was refused. The console maps each code to an HTTP
 * status (see `src/console/console.routes.ts`); the message is shown to the person as it is.
 */
export type AuthRefusal =
  | 'bad_credentials'
  | 'totp_required'
  | 'locked'
  | 'rate_limited'
  | 'disabled'
  | 'bad_password'
  | 'setup_invalid'
  | 'reauth_required';

export class AuthError extends Error {
  override name = 'AuthError';
  constructor(
    readonly code: AuthRefusal,
    message: string,
    /** For `locked` and `rate_limited`: seconds until a new try can succeed. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}

const minutes = (seconds: number) => Math.max(1, Math.ceil(seconds / 60));

export const authErrors = {
  badCredentials: () => new AuthError('bad_credentials', 'The email or password is wrong.'),
  totpRequired: () => new AuthError('totp_required', 'Enter the 6-digit code from your authenticator app.'),
  badTotp: () =>
    new AuthError(
      'totp_required',
      'The 6-digit code is wrong or was already used. Enter the current code from your authenticator app.',
    ),
  locked: (seconds: number) =>
    new AuthError(
      'locked',
      `This account is locked after too many failed sign-ins. Try again in ${minutes(seconds)} minutes.`,
      seconds,
    ),
  rateLimited: (seconds: number) =>
    new AuthError(
      'rate_limited',
      `Too many failed sign-ins from your network. Try again in ${minutes(seconds)} minutes.`,
      seconds,
    ),
  disabled: () => new AuthError('disabled', 'This user has been disabled. Ask the operator to enable it.'),
  badPassword: () => new AuthError('bad_password', 'The password is wrong.'),
  setupInvalid: () =>
    new AuthError(
      'setup_invalid',
      'This setup link is no longer valid: it was used, it expired, or an operator already exists. ' +
        'Restart the server for a new link, or use `shouyin user add`.',
    ),
  reauthRequired: () => new AuthError('reauth_required', 'Enter your password again to continue.'),
};
