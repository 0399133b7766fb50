/**
 * The V免签 app's configuration string, `host/key`: the app splits it on `/` and needs exactly two
 * parts, then always calls `http://host/appHeart…` — no scheme, no path, no TLS.
 */
export interface Pairing {
  /** What the operator types into the app or scans: `pay.example.com:8080/3f9c…`. */
  text: string;
  host: string;
  /** Things in the setup that will keep the app from reaching the gateway. */
  warnings: string[];
}

export function vmqPairing(publicUrl: string, key: string): Pairing {
  const url = new URL(publicUrl);
  const host = url.host; // host[:port], the port only when it is not the scheme's default
  const warnings: string[] = [];
  if (url.protocol === 'https:') {
    warnings.push(
      `PUBLIC_URL is https, but the app only speaks plain http: http://${host}/appHeart and /appPush must reach the gateway too`,
    );
  }
  if (url.pathname !== '/' && url.pathname !== '') {
    warnings.push(
      `PUBLIC_URL has a path (${url.pathname}); the app cannot use one: /appHeart and /appPush must answer at the root of ${host}`,
    );
  }
  if (/^(127\.|localhost$|\[::1\]$)/.test(url.hostname)) {
    warnings.push(
      `${url.hostname} is this machine; a phone cannot reach it — set PUBLIC_URL to an address the phone can reach`,
    );
  }
  return { text: `${host}/${key}`, host, warnings };
}
