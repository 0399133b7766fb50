/**
 * Amounts in the console: the admin API sends them as strings with 2 decimals ("9.99") and takes
 * them the same way. The rules are those of the server's src/domain/money.ts (integer cents
 * inside, at most 2 decimals, no signs or exponents, at most 10,000,000.00); this is the only
 * place in the console that parses or formats an amount.
 */

export const MAX_CENTS = 1_000_000_000;

const DECIMAL = /^(0|[1-9][0-9]{0,7})(?:\.([0-9]{1,2}))?$/;

/** `"10"`, `"10.2"`, `"10.23"` → cents; anything else → null. Surrounding spaces are forgiven. */
export function parseCents(text: string): number | null {
  const m = DECIMAL.exec(text.trim());
  if (!m) return null;
  const whole = Number(m[1]);
  const frac = m[2] === undefined ? 0 : Number(m[2].padEnd(2, '0'));
  const cents = whole * 100 + frac;
  return cents <= MAX_CENTS ? cents : null;
}

/** A positive amount (what a form field for an order amount accepts), or null. */
export function parsePositiveCents(text: string): number | null {
  const cents = parseCents(text);
  return cents !== null && cents > 0 ? cents : null;
}

/** `1020` → `"10.20"`. */
export function formatCents(cents: number): string {
  if (!Number.isSafeInteger(cents) || cents < 0) throw new RangeError(`not an amount in cents: ${cents}`);
  const whole = Math.floor(cents / 100);
  const frac = cents % 100;
  return `${whole}.${frac < 10 ? '0' : ''}${frac}`;
}

/**
 * Any amount the API sent (a decimal string, or cents as a number) with exactly 2 decimals:
 * `"9.9"` → `"9.90"`, `990` → `"9.90"`. Something that is not an amount shows as "—" rather
 * than as a wrong number.
 */
export function formatMoney(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '—';
  const cents = typeof value === 'number' ? value : parseCents(value);
  if (cents === null || !Number.isSafeInteger(cents) || cents < 0) return '—';
  return formatCents(cents);
}

/** `formatMoney` with the currency sign: `"¥9.90"`. */
export function formatYuan(value: string | number | null | undefined): string {
  const text = formatMoney(value);
  return text === '—' ? text : `¥${text}`;
}
