import type { Check, Row } from './types.js';

const int = (n: number) => Math.round(n).toLocaleString('en-US');
const ms = (n: number) => (n < 10 ? n.toFixed(1) : n.toFixed(0));

/** Formats rows as a Markdown table: readable in a terminal and pastable into the README. */
export function formatTable(rows: readonly Row[]): string {
  const header = [
    'scenario',
    'req/s',
    'p50 ms',
    'p99 ms',
    'non-100 / errors',
    'ratio to bare',
    'server CPU µs/req',
    'CPU % server / load / other',
  ];
  const right = [false, true, true, true, true, true, true, true];
  const body = rows.map((r) => [
    r.scenario,
    int(r.reqPerSec),
    ms(r.p50Ms),
    ms(r.p99Ms),
    r.non100 === 0 && r.errors === 0
      ? '0 / 0'
      : `${int(r.non100)} / ${int(r.errors)} ⚠` +
        (Object.keys(r.codes).length > 0
          ? ` (${Object.entries(r.codes)
              .map(([c, n]) => `${c}×${n}`)
              .join(', ')})`
          : ''),
    r.ratioToBare === null ? '—' : `${(r.ratioToBare * 100).toFixed(1)} %`,
    r.serverCpuUsPerReq === null ? '?' : int(r.serverCpuUsPerReq),
    [r.serverCpuPct, r.loadCpuPct, r.otherCpuPct].map((p) => (p === null ? '?' : p.toFixed(0))).join(' / '),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => (b[i] as string).length)));
  const line = (cells: string[]) =>
    `| ${cells.map((c, i) => (right[i] ? c.padStart(widths[i] as number) : c.padEnd(widths[i] as number))).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (right[i] ? `${'-'.repeat(w + 1)}:` : `:${'-'.repeat(w + 1)}`)).join('|')}|`;
  return [line(header), rule, ...body.map(line)].join('\n');
}

export function formatChecks(checks: readonly Check[]): string {
  return checks
    .map((c) => `${c.pass === null ? 'SKIP' : c.pass ? 'PASS' : 'MISS'}  ${c.aim}: ${c.measured}`)
    .join('\n');
}

/** Share of a core other processes may use during a run before its numbers are flagged. */
export const BUSY_OTHER_CPU_PCT = 15;

/** A warning when other work competed with some runs, or null. */
export function busyWarning(rows: readonly Row[]): string | null {
  const busy = rows.filter((r) => (r.otherCpuPct ?? 0) > BUSY_OTHER_CPU_PCT);
  if (busy.length === 0) return null;
  const worst = Math.max(...busy.map((r) => r.otherCpuPct ?? 0));
  return (
    `WARNING: other processes used up to ${worst.toFixed(0)} % of a core during ${busy.length} of ${rows.length} runs ` +
    `(${busy.map((r) => r.id).join(', ')}): those numbers are low; rerun on a quiet machine.`
  );
}
