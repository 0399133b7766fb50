/**
 * True for an absolute http(s) URL a merchant can be sent to (the SSRF check happens at send time).
 * Never one with a user name or password: return URLs go to buyers' browsers and notify URLs into
 * logs and attempt records, so credentials in them would leak.
 */
export function isHttpUrl(text: string): boolean {
  if (text.length > 2048) return false;
  try {
    const u = new URL(text);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname !== '' && !hasCredentials(text);
  } catch {
    return false;
  }
}

/** True when the URL carries a user name or password (`https://user:pass@host/…`). */
export function hasCredentials(text: string): boolean {
  try {
    const u = new URL(text);
    return u.username !== '' || u.password !== '';
  } catch {
    return false;
  }
}

/** `host[:port]` of a URL, lowercase; '' when it does not parse. */
export function hostOf(url: string): string {
  try {
    return new URL(url).host.toLowerCase();
  } catch {
    return '';
  }
}

/** Appends query parameters with `?` or `&` as the URL already needs (spec §3). */
export function appendQuery(url: string, params: Record<string, string>): string {
  const qs = new URLSearchParams(params).toString();
  if (qs === '') return url;
  const hashAt = url.indexOf('#');
  const base = hashAt >= 0 ? url.slice(0, hashAt) : url;
  const hash = hashAt >= 0 ? url.slice(hashAt) : '';
  const sep = base.includes('?') ? (base.endsWith('?') || base.endsWith('&') ? '' : '&') : '?';
  return `${base}${sep}${qs}${hash}`;
}

/**
 * A URL safe to put in a `Location` header: percent-encodes what a merchant may have typed
 * raw (non-ASCII paths). Signed parameters are already encoded and do not change.
 */
export function locationHeader(url: string): string {
  try {
    return new URL(url).href;
  } catch {
    return url;
  }
}
