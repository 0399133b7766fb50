import { InvalidInputError } from '../domain/errors.js';

/**
 * Opaque keyset cursors of the console's lists: a few whole numbers (the last row's sort key)
 * as base64url. Opaque so clients do not build them; checked on the way back in, since they
 * come from the query string.
 */
export function encodeCursor(parts: readonly number[]): string {
  return Buffer.from(parts.join('.'), 'utf8').toString('base64url');
}

/** The numbers of a cursor made by `encodeCursor` with `count` parts; anything else is refused. */
export function decodeCursor(cursor: string, count: number): number[] {
  const bad = () => new InvalidInputError('The page cursor is not valid: start again from the first page.');
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const parts = text.split('.');
  if (parts.length !== count || !parts.every((p) => /^(0|[1-9][0-9]{0,15})$/.test(p))) throw bad();
  const numbers = parts.map(Number);
  if (!numbers.every(Number.isSafeInteger)) throw bad();
  return numbers;
}
