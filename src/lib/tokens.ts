import { randomBytes } from 'node:crypto';

/** An unguessable URL-safe token (128 bits by default). */
export function randomToken(bytes = 16): string {
  return randomBytes(bytes).toString('base64url');
}

/** Lowercase hex secret. */
export function randomHex(bytes: number): string {
  return randomBytes(bytes).toString('hex');
}
