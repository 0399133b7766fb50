import { markup, raw, type SafeHtml } from './html.js';
import type { Messages } from './i18n.js';
import { CASHIER_CSS } from './styles.js';

/** The HTML document around every cashier page: no external resources, one nonce for inline code. */
export function layout(p: {
  t: Messages;
  title: string;
  nonce: string;
  bodyClass?: string;
  head?: SafeHtml;
  body: SafeHtml;
}): string {
  return markup`<!doctype html>
<html lang="${p.t.htmlLang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1,viewport-fit=cover">
<meta name="robots" content="noindex,nofollow">
<meta name="referrer" content="no-referrer">
<meta name="format-detection" content="telephone=no">
<title>${p.title}</title>
<style nonce="${p.nonce}">${raw(CASHIER_CSS)}</style>
${p.head}
</head>
<body class="${p.bodyClass ?? ''}">
${p.body}
</body>
</html>
`.value;
}

/**
 * Headers of every cashier HTML answer: never cached (the state changes), inline code allowed
 * only with this response's nonce, images only inline, connections only back to us, and never
 * inside another site's frame (a framed pay page could be overlaid to trick the payer).
 */
export function htmlHeaders(nonce: string): Record<string, string> {
  return {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'x-frame-options': 'DENY',
    'content-security-policy': [
      "default-src 'none'",
      `script-src 'nonce-${nonce}'`,
      `style-src 'nonce-${nonce}'`,
      'img-src data:',
      "connect-src 'self'",
      "base-uri 'none'",
      "frame-ancestors 'none'",
    ].join('; '),
    vary: 'Accept-Language, User-Agent',
  };
}
