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

/**
 * A copyable shell example of the Shouyin monitor API (docs/monitor-api.md) for one account,
 * filled in with its id and key: a signed heartbeat, which brings the account online at once.
 */
export function monitorHeartbeatExample(publicUrl: string, accountId: number, key: string): string {
  const base = publicUrl.replace(/\/+$/, '');
  return [
    `BASE=${base}  ACCOUNT=${accountId}  KEY=${key}`,
    `TS=$(date +%s)`,
    `SIG=$(printf '%s.' "$TS" | openssl dgst -sha256 -hmac "$KEY" -r | cut -d' ' -f1)`,
    `curl -sS -X POST "$BASE/monitor/v1/heartbeat" \\`,
    `  -H "x-shouyin-account: $ACCOUNT" -H "x-shouyin-timestamp: $TS" -H "x-shouyin-signature: $SIG"`,
  ].join('\n');
}
