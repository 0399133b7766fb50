/**
 * Money is integer cents inside Shouyin. This module is the only place that turns a decimal
 * string into cents or cents into a string.
 */

/** Largest amount accepted anywhere: 10,000,000.00. */
export const MAX_CENTS = 1_000_000_000;

const DECIMAL = /^(0|[1-9][0-9]{0,7})(?:\.([0-9]{1,2}))?$/;

/**
 * Parses `"10"`, `"10.2"` or `"10.23"` into cents. Anything else (signs, exponents, spaces,
 * three decimals, leading zeros, `NaN`) is rejected with `null`. Zero parses; callers that need a
 * positive amount check it themselves.
 */
export function parseCents(text: string): number | null {
  const m = DECIMAL.exec(text);
  if (!m) return null;
  const whole = Number(m[1]);
  const frac = m[2] === undefined ? 0 : Number(m[2].padEnd(2, '0'));
  const cents = whole * 100 + frac;
  return cents <= MAX_CENTS ? cents : null;
}

/** A positive amount, or null. */
export function parsePositiveCents(text: string): number | null {
  const cents = parseCents(text);
  return cents !== null && cents > 0 ? cents : null;
}

/** `1020` → `"10.20"`. Every amount the GatePay protocol emits has exactly 2 decimals. */
export function formatCents(cents: number): string {
  if (!Number.isSafeInteger(cents) || cents < 0) throw new RangeError(`not an amount in cents: ${cents}`);
  const whole = Math.floor(cents / 100);
  const frac = cents % 100;
  return `${whole}.${frac < 10 ? '0' : ''}${frac}`;
}

/** `1000` → `"10"`, `1010` → `"10.1"`, `1001` → `"10.01"`: how PHP prints a float (epay, V免签). */
export function formatCentsPhp(cents: number): string {
  return formatCents(cents).replace(/\.?0+$/, '');
}

/**
 * Parses Java's `String.valueOf(double)` for a money value as the V免签 app sends it:
 * `"10.01"`, `"10.5"`, `"100.0"`. Returns cents, or null for anything else.
 */
export function parseJavaDoubleCents(text: string): number | null {
  if (!/^(0|[1-9][0-9]{0,7})\.[0-9]{1,2}$/.test(text)) return null;
  return parseCents(text);
}
