/** A receiving account's rules (DESIGN.md "Words"): when and for what it takes new orders. */
export interface AccountRules {
  /** Minutes after local midnight; the window may wrap midnight (22:00–02:00). */
  windowStart: number | null;
  windowEnd: number | null;
  minCents: number | null;
  maxCents: number | null;
  dailyCapCents: number | null;
}

export type RuleVerdict = 'ok' | 'outside-window' | 'below-min' | 'above-max' | 'daily-cap';

export function checkRules(
  rules: AccountRules,
  amountCents: number,
  minuteOfDay: number,
  receivedTodayCents: number,
): RuleVerdict {
  if (rules.windowStart !== null && rules.windowEnd !== null && rules.windowStart !== rules.windowEnd) {
    const { windowStart: s, windowEnd: e } = rules;
    const inside = s < e ? minuteOfDay >= s && minuteOfDay < e : minuteOfDay >= s || minuteOfDay < e;
    if (!inside) return 'outside-window';
  }
  if (rules.minCents !== null && amountCents < rules.minCents) return 'below-min';
  if (rules.maxCents !== null && amountCents > rules.maxCents) return 'above-max';
  if (rules.dailyCapCents !== null && receivedTodayCents + amountCents > rules.dailyCapCents)
    return 'daily-cap';
  return 'ok';
}

/** `"09:30"` → 570; null for anything that is not a time of day. */
export function parseTimeOfDay(text: string): number | null {
  const m = /^([01]?[0-9]|2[0-3]):([0-5][0-9])$/.exec(text);
  return m ? Number(m[1]) * 60 + Number(m[2]) : null;
}

export function formatTimeOfDay(minutes: number): string {
  return `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
}

/** Business day arithmetic in a fixed UTC offset (China has no DST: +08:00). */
export const DAY_MS = 86_400_000;
export function startOfLocalDay(nowMs: number, utcOffsetMinutes: number): number {
  const off = utcOffsetMinutes * 60_000;
  return Math.floor((nowMs + off) / DAY_MS) * DAY_MS - off;
}
export function minuteOfLocalDay(nowMs: number, utcOffsetMinutes: number): number {
  return Math.floor((nowMs - startOfLocalDay(nowMs, utcOffsetMinutes)) / 60_000);
}
