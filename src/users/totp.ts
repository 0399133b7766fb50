import { Secret, TOTP } from 'otpauth';

/** RFC 6238 as every authenticator app implements it: HMAC-SHA1, 6 digits, 30 s steps. */
const PARAMS = { algorithm: 'SHA1', digits: 6, period: 30 } as const;

/** A new secret (160 bits, RFC 4226's recommended length), base32 as authenticator apps take it. */
export function newTotpSecret(): string {
  return new Secret({ size: 20 }).base32;
}

/** The `otpauth://` URI an authenticator app scans (as a QR code) or imports. */
export function totpUri(secret: string, email: string): string {
  return new TOTP({
    ...PARAMS,
    issuer: 'Shouyin',
    label: email,
    secret: Secret.fromBase32(secret),
  }).toString();
}

/**
 * The time step `code` is valid for, accepting the previous, current and next step (a phone clock
 * off by up to 30 s), or null when it matches none. The caller refuses a step it already accepted.
 */
export function totpStep(secret: string, code: string, now: number): number | null {
  if (!/^[0-9]{6}$/.test(code)) return null;
  const delta = TOTP.validate({
    ...PARAMS,
    token: code,
    secret: Secret.fromBase32(secret),
    timestamp: now,
    window: 1,
  });
  return delta === null ? null : TOTP.counter({ period: PARAMS.period, timestamp: now }) + delta;
}

/** The code an authenticator app shows at `now` (tests, and `shouyin` diagnostics). */
export function totpCode(secret: string, now: number): string {
  return TOTP.generate({ ...PARAMS, secret: Secret.fromBase32(secret), timestamp: now });
}
