/**
 * The dashboard's "median time from creation to payment" over any period, from per-day
 * histograms that can be added up: durations fall into fixed buckets, 1 s wide under a minute,
 * 5 s under 10 minutes, 1 min under an hour, 15 min under a day, and one bucket beyond. The
 * median is read inside its bucket by linear interpolation, so it is exact to within that width.
 * Pure: the SQL that buckets durations (`payTimeBucketSql`) follows the same table.
 */

interface Band {
  /** First second of the band, its bucket width in seconds, and the first bucket number. */
  from: number;
  width: number;
  first: number;
}

const BANDS: readonly Band[] = [
  { from: 0, width: 1, first: 0 },
  { from: 60, width: 5, first: 60 },
  { from: 600, width: 60, first: 168 },
  { from: 3600, width: 900, first: 218 },
];
/** Durations of a day or more. */
export const OVERFLOW_BUCKET = 310;
const OVERFLOW_FROM_S = 86_400;

/** The bucket of a duration in ms (negative durations count as 0). */
export function payTimeBucket(ms: number): number {
  const s = Math.floor(Math.max(0, ms) / 1000);
  if (s >= OVERFLOW_FROM_S) return OVERFLOW_BUCKET;
  for (let i = BANDS.length - 1; i >= 0; i--) {
    const b = BANDS[i] as Band;
    if (s >= b.from) return b.first + Math.floor((s - b.from) / b.width);
  }
  return 0;
}

/** Where a bucket starts and how wide it is, in ms (the overflow bucket: width 0). */
export function bucketRange(bucket: number): { fromMs: number; widthMs: number } {
  if (bucket >= OVERFLOW_BUCKET) return { fromMs: OVERFLOW_FROM_S * 1000, widthMs: 0 };
  for (let i = BANDS.length - 1; i >= 0; i--) {
    const b = BANDS[i] as Band;
    if (bucket >= b.first)
      return { fromMs: (b.from + (bucket - b.first) * b.width) * 1000, widthMs: b.width * 1000 };
  }
  return { fromMs: 0, widthMs: 1000 };
}

/**
 * The same bucketing as `payTimeBucket`, as a SQL expression over a duration expression in ms
 * (`d` must be an integer expression; SQLite and PostgreSQL both divide integers exactly).
 */
export function payTimeBucketSql(d: string): string {
  const cases = BANDS.slice(1)
    .map((b, i) => {
      const prev = BANDS[i] as Band;
      return `when ${d} < ${b.from * 1000} then ${prev.first} + (${d} - ${prev.from * 1000}) / ${prev.width * 1000}`;
    })
    .join(' ');
  const last = BANDS[BANDS.length - 1] as Band;
  return (
    `case when ${d} < 0 then 0 ${cases} ` +
    `when ${d} < ${OVERFLOW_FROM_S * 1000} then ${last.first} + (${d} - ${last.from * 1000}) / ${last.width * 1000} ` +
    `else ${OVERFLOW_BUCKET} end`
  );
}

/** Counts per bucket, added up over any number of days and merchants. */
export type Histogram = Map<number, number>;

export function addToHistogram(h: Histogram, bucket: number, n: number): void {
  if (n > 0) h.set(bucket, (h.get(bucket) ?? 0) + n);
}

/** The median duration in ms, or null for an empty histogram. */
export function histogramMedian(h: Histogram): number | null {
  let total = 0;
  for (const n of h.values()) total += n;
  if (total === 0) return null;
  const half = total / 2;
  let seen = 0;
  for (const bucket of [...h.keys()].sort((a, b) => a - b)) {
    const n = h.get(bucket) as number;
    if (seen + n >= half) {
      const { fromMs, widthMs } = bucketRange(bucket);
      return Math.round(fromMs + (widthMs * (half - seen)) / n);
    }
    seen += n;
  }
  return null;
}
