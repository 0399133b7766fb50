import type { PaymentType } from '../domain/order-state.js';
import { markup, type SafeHtml } from './html.js';
import { type CashierLang, MESSAGES } from './i18n.js';
import { layout } from './layout.js';

/** What the quick collection form shows and carries from one request to the next. */
export interface AnyPayForm {
  appkey: string;
  token: string;
  merchantName: string;
  types: PaymentType[];
  price: string;
  custom: string;
  type: string;
  /** `stable=1`: the given price / contact are shown read-only. */
  lockPrice: boolean;
  lockCustom: boolean;
  stable: boolean;
  /** `skin=1`: the dark variant. */
  skin: '0' | '1';
  /** The `lang` the payer chose explicitly, carried along; null when it came from the browser. */
  explicitLang: CashierLang | null;
}

/** Longest contact a payer may enter (it becomes the order's `custom`). */
export const MAX_CONTACT_LENGTH = 200;

function hidden(name: string, value: string): SafeHtml {
  return markup`<input type="hidden" name="${name}" value="${value}">`;
}

/** The same page in the other language: a plain link carrying the form's parameters. */
function switchHref(f: AnyPayForm, other: CashierLang): string {
  const q = new URLSearchParams({ appkey: f.appkey, token: f.token });
  if (f.price !== '') q.set('price', f.price);
  if (f.custom !== '') q.set('custom', f.custom);
  if (f.type !== '') q.set('type', f.type);
  if (f.stable) q.set('stable', '1');
  if (f.skin === '1') q.set('skin', '1');
  q.set('lang', other);
  return `any?${q.toString()}`;
}

/** `GET /pay/any`: the payer types an amount (and a contact) and goes on to the cashier. */
export function renderAnyPayPage(p: { lang: CashierLang; nonce: string; form: AnyPayForm; error?: string }) {
  const t = MESSAGES[p.lang];
  const f = p.form;
  const other: CashierLang = p.lang === 'zh' ? 'en' : 'zh';
  const chosen = f.types.includes(f.type as PaymentType) ? f.type : f.types[0];
  const label = (ty: PaymentType) => (ty === 'wechat' ? t.wechat : t.alipay);
  const types = f.types.map(
    (ty) =>
      markup`<label><input type="radio" name="type" value="${ty}"${ty === chosen && markup` checked`}> ${label(ty)}</label>`,
  );
  const body = markup`<div class="wrap">
<main class="card">
<div class="bar"><span class="brand"><span class="logo">¥</span>${t.anyTitle}</span><a href="${switchHref(f, other)}">${t.switchLang}</a></div>
<div class="body">
<p class="who">${t.merchant} <b>${f.merchantName}</b></p>
<form method="post" action="any" id="f">
${hidden('appkey', f.appkey)}${hidden('token', f.token)}${f.stable && hidden('stable', '1')}${hidden('skin', f.skin)}${f.explicitLang && hidden('lang', f.explicitLang)}
${p.error && markup`<p class="err" role="alert" id="err">${p.error}</p>`}
<label for="price">${t.amount} (¥)</label>
<input class="money" id="price" name="price" type="text" inputmode="decimal" autocomplete="off" required maxlength="12" pattern="\\s*(0|[1-9][0-9]{0,7})(\\.[0-9]{1,2})?\\s*" placeholder="${t.amountPlaceholder}" value="${f.price}"${f.lockPrice ? markup` readonly` : markup` autofocus`}>
<label for="custom">${t.contact}</label>
<input id="custom" name="custom" type="text" maxlength="${MAX_CONTACT_LENGTH}" autocomplete="off" placeholder="${t.contactPlaceholder}" value="${f.custom}"${f.lockCustom && markup` readonly`}>
<label>${t.method}</label>
<div class="types">${types}</div>
<button class="btn" type="submit" id="go">${t.next}</button>
</form>
</div>
</main>
</div>`;
  return layout({
    t,
    title: `${t.anyTitle} · ${f.merchantName}`,
    nonce: p.nonce,
    bodyClass: f.skin === '1' ? 'dark' : '',
    body,
  });
}
