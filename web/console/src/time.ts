/**
 * Times in the console: the API sends unix milliseconds; shop owners read them in China time
 * (UTC+8, no daylight saving), with the zone written out so nobody has to guess.
 */

const CHINA_OFFSET_MS = 8 * 60 * 60 * 1000;
export const ZONE_LABEL = '(UTC+8)';

/** `1714550400000` → `"2024-05-01 16:00:00 (UTC+8)"`. */
export function formatTime(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  return `${formatTimeBare(ms)} ${ZONE_LABEL}`;
}

/** The same without the zone, for tables whose column header names it once. */
export function formatTimeBare(ms: number): string {
  // Shifting by the offset and reading the UTC fields gives China's wall clock on any machine.
  const iso = new Date(ms + CHINA_OFFSET_MS).toISOString(); // 2024-05-01T16:00:00.000Z
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}`;
}

/** China's calendar date of an instant, `"2024-05-01"`. */
export function chinaDate(ms: number): string {
  return new Date(ms + CHINA_OFFSET_MS).toISOString().slice(0, 10);
}

/** Unix ms of 00:00 China time on a `"YYYY-MM-DD"` date (for date-range filters), or null. */
export function chinaDayStart(date: string): number | null {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) return null;
  const ms = Date.parse(`${date}T00:00:00.000Z`);
  if (Number.isNaN(ms)) return null;
  const start = ms - CHINA_OFFSET_MS;
  return chinaDate(start) === date ? start : null; // 2024-02-31 is not a day
}
