import { formatCents } from '../domain/money.js';
import type { CashierQr, CashierState } from './cashier.service.js';
import { stateJson } from './cashier.service.js';
import { PAY_PAGE_SCRIPT } from './client.js';
import { jsonForScript, markup, raw, type SafeHtml } from './html.js';
import { type CashierLang, MESSAGES, type Messages } from './i18n.js';
import { layout } from './layout.js';

export interface PayPageInput {
  lang: CashierLang;
  state: CashierState;
  qr: CashierQr | null;
  /** The QR code of `qr.content` as a PNG data URL, and its side in pixels. */
  qrImage: { dataUrl: string; size: number } | null;
  mobile: boolean;
  wechatBrowser: boolean;
  nonce: string;
}

const ICON_OK = raw(
  '<div class="big"><svg viewBox="0 0 24 24" width="38" height="38" aria-hidden="true"><path d="M5 12.5l4.5 4.5L19 7.5" fill="none" stroke="#fff" stroke-width="2.6" stroke-linecap="round" stroke-linejoin="round"/></svg></div>',
);
const ICON_CLOSED = raw(
  '<div class="big x"><svg viewBox="0 0 24 24" width="32" height="32" aria-hidden="true"><path d="M7 7l10 10M17 7L7 17" fill="none" stroke="#fff" stroke-width="2.6" stroke-linecap="round"/></svg></div>',
);

/** Where the Alipay app opens a receiving code directly (its "scan" mini-app). */
export function alipayAppLink(qrContent: string): string {
  return `alipays://platformapi/startapp?saId=10000007&qrcode=${encodeURIComponent(qrContent)}`;
}

function typeLabel(t: Messages, type: string): string {
  return type === 'wechat' ? t.wechat : t.alipay;
}

function appName(t: Messages, type: string): string {
  return type === 'wechat' ? t.wechatApp : t.alipayApp;
}

/** Header strip: payment method and the language switch (a link, so it works without script). */
function topBar(t: Messages, lang: CashierLang, type: string, switchHref: string): SafeHtml {
  const logo = type === 'wechat' ? (lang === 'zh' ? '微' : 'W') : lang === 'zh' ? '支' : 'A';
  return markup`<div class="bar"><span class="brand"><span class="logo">${logo}</span>${typeLabel(t, type)}</span><a href="${switchHref}" hreflang="${lang === 'zh' ? 'en' : 'zh-CN'}">${t.switchLang}</a></div>`;
}

/** How to pay on this device: scan on a PC, the Alipay app button or a WeChat hint on a phone. */
function payHow(p: PayPageInput, t: Messages): SafeHtml {
  const o = p.state.order;
  const amount = formatCents(o.realpriceCents);
  const amountHint = p.qr?.fixedAmount ? t.fixedCode : t.typeAmount(`¥${amount}`);
  if (!p.mobile) {
    return markup`<p class="hint">${t.scanPc(appName(t, o.type))}</p><p class="note">${amountHint}</p>`;
  }
  if (o.type === 'alipay' && p.qr) {
    return markup`<p class="note">${amountHint}</p><a class="btn" id="open" href="${alipayAppLink(p.qr.content)}">${t.openAlipay}</a><p class="note">${t.alipayAfter}</p>`;
  }
  return markup`<p class="hint">${p.wechatBrowser ? t.wechatLongPress : t.wechatSave}</p><p class="note">${amountHint}</p>`;
}

function countdownText(expiresAt: number, now: number): string {
  const left = Math.max(0, Math.floor((expiresAt - now) / 1000));
  const mm = Math.floor(left / 60);
  const ss = left % 60;
  return `${mm < 10 ? '0' : ''}${mm}:${ss < 10 ? '0' : ''}${ss}`;
}

/** The cashier page of one order, in whatever phase it is; the script moves it on live. */
export function renderPayPage(p: PayPageInput): string {
  const t = MESSAGES[p.lang];
  const { order: o, merchant: m } = p.state;
  const json = stateJson(p.state);
  const other: CashierLang = p.lang === 'zh' ? 'en' : 'zh';
  const switchHref = `api?id=${encodeURIComponent(o.token)}&type=${encodeURIComponent(o.type)}&lang=${other}`;
  const [whole, cents] = json.realprice.split('.');
  const adjusted = o.realpriceCents !== o.priceCents;
  const showTitle = o.title !== '' && o.title !== m.name;
  const returnHref = p.state.phase === 'delayed' ? (p.state.redirectUrl ?? '#') : '#';
  const qr = p.qrImage;

  const body = markup`<div class="wrap">
<main class="card" id="m" data-phase="${p.state.phase}">
${topBar(t, p.lang, o.type, switchHref)}
<div class="body">
<p class="who">${t.merchant} <b>${m.name}</b></p>
${showTitle && markup`<p class="item">${t.item}：${o.title}</p>`}
<div class="s s-paid">${ICON_OK}<h1>${t.paid}</h1></div>
<div class="s s-closed">${ICON_CLOSED}<h1>${t.closed}</h1></div>
<div class="amt" id="amt"><small>¥</small>${whole}.${cents}</div>
<section class="s s-waiting">
<div class="exact">${t.payExactly}</div>
<p class="note">${adjusted ? t.adjusted(json.price) : t.exactHint}</p>
${qr && markup`<div class="qr"><img id="qr" src="${qr.dataUrl}" width="${qr.size}" height="${qr.size}" alt="${t.payWith(appName(t, o.type))}"></div>`}
${payHow(p, t)}
<div class="timer">${t.remaining}<b id="cd">${countdownText(o.expiresAt, p.state.now)}</b><span>${t.expiresHint}</span></div>
<div class="live" role="status"><i class="dot"></i><span>${t.waiting}</span></div>
<p class="note">${t.secure}</p>
</section>
<section class="s s-paid" id="paid">
<div class="s s-notifying"><div class="live" role="status"><i class="dot"></i><span>${t.notifying}</span></div></div>
<div class="s s-delayed"><p class="msg" id="delayed">${t.delayed}</p><a class="btn" id="back" href="${returnHref}">${t.returnToMerchant}</a></div>
<div class="s s-done"><div class="live" role="status"><i class="dot"></i><span id="rd">${t.redirecting}</span></div></div>
</section>
<section class="s s-closed" id="closed">
<p class="msg">${t.closedText}</p>
<p class="msg" id="ct" hidden>${t.toTimeout}</p>
</section>
</div>
</main>
<p class="foot">${t.orderNo} ${o.outOrderId}</p>
</div>
<script type="application/json" id="cfg">${jsonForScript({ id: o.token, state: json })}</script>
<script nonce="${p.nonce}">${raw(PAY_PAGE_SCRIPT)}</script>`;

  return layout({
    t,
    title: `${t.title} · ${m.name}`,
    nonce: p.nonce,
    bodyClass: o.type === 'wechat' ? 'wechat' : 'alipay',
    // Without script the page still moves on: it reloads while something is still to happen.
    head:
      p.state.phase === 'waiting' || p.state.phase === 'notifying'
        ? raw('<noscript><meta http-equiv="refresh" content="5"></noscript>')
        : undefined,
    body,
  });
}

/** A page with one message: unknown order, invalid link, and the like. */
export function renderMessagePage(p: {
  lang: CashierLang;
  nonce: string;
  title: string;
  text: string;
}): string {
  const t = MESSAGES[p.lang];
  return layout({
    t,
    title: p.title,
    nonce: p.nonce,
    body: markup`<div class="wrap"><main class="card"><div class="body">${ICON_CLOSED}<h1>${p.title}</h1><p class="msg">${p.text}</p></div></main></div>`,
  });
}
