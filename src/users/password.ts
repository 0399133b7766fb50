import { hash, verify } from '@node-rs/argon2';
import { InvalidInputError } from '../domain/errors.js';

/** NIST SP 800-63B: at least 8 characters, no composition rules; long passphrases welcome. */
export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 256;

/** Refuses a password a person should not be allowed to choose. Never puts the password in the message. */
export function checkNewPassword(password: string): void {
  if ([...password].length < PASSWORD_MIN_LENGTH) {
    throw new InvalidInputError(`The password must be at least ${PASSWORD_MIN_LENGTH} characters long.`);
  }
  if (password.length > PASSWORD_MAX_LENGTH) {
    throw new InvalidInputError(`The password must be at most ${PASSWORD_MAX_LENGTH} characters long.`);
  }
}

/**
 * Argon2id (the library's default algorithm) with its default cost: 19 MiB, 2 passes, 1 lane,
 * OWASP's recommended minimum; about 50 ms here. Runs on libuv's thread pool, not the event loop.
 */
export function hashPassword(password: string): Promise<string> {
  return hash(password);
}

/** Checks a password against its stored hash; a malformed hash is a wrong password, not a crash. */
export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, password);
  } catch {
    return false;
  }
}

let decoy: Promise<string> | null = null;

/**
 * Verifies against a throwaway hash, so a sign-in for an unknown email costs what one for a known
 * email does and the answer time does not tell which emails have users.
 */
export async function verifyDecoy(password: string): Promise<false> {
  decoy ??= hash('shouyin decoy password');
  await verifyPassword(await decoy, password);
  return false;
}
