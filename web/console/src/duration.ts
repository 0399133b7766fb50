import { t } from './i18n';

/**
 * A duration for people, in the current language: `150_000` → "2 min 30 s" / "2 分 30 秒";
 * null → "—". Used by the dashboard (median time to pay) and the system page (queue age).
 */
export function formatDuration(ms: number | null): string {
  if (ms === null) return t('dash.none');
  const s = Math.round(ms / 1000);
  if (s >= 86_400) return t('dash.overDay');
  if (s >= 3600) return t('dash.hourMin', { h: Math.floor(s / 3600), m: Math.floor((s % 3600) / 60) });
  if (s >= 60) return t('dash.minSec', { m: Math.floor(s / 60), s: s % 60 });
  return t('dash.sec', { s });
}
