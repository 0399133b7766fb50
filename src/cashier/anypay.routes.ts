import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { GatewayError, SPECIAL_MESSAGES } from '../domain/errors.js';
import { parsePositiveCents } from '../domain/money.js';
import { isPaymentType, PAYMENT_TYPES, type PaymentType } from '../domain/order-state.js';
import { clientAddress } from '../http/abuse-limits.js';
import { type RawParams, readParams, stringParam } from '../http/params.js';
import { randomToken } from '../lib/tokens.js';
import type { Merchant } from '../merchants/merchant.model.js';
import { payUrl } from '../protocols/gatepay/gatepay.presenter.js';
import type { Services } from '../services.js';
import { renderMessagePage } from './cashier.page.js';
import { type AnyPayForm, MAX_CONTACT_LENGTH, renderAnyPayPage } from './anypay.page.js';
import { type CashierLang, MESSAGES, pickLang } from './i18n.js';
import { htmlHeaders } from './layout.js';

/** The page for an address over one of its limits (`Retry-After` says when to come back). */
const TOO_MANY: Record<CashierLang, { title: string; text: (seconds: number) => string }> = {
  zh: { title: '操作过于频繁', text: (s) => `请 ${s} 秒后再试。` },
  en: { title: 'Too many attempts', text: (s) => `Please try again in ${s} seconds.` },
};

/** Compares two secrets in constant time, whatever their lengths (case-sensitive). */
export function secretsEqual(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b) && expected !== '';
}

function enabledTypes(m: Merchant): PaymentType[] {
  return PAYMENT_TYPES.filter((t) => (t === 'alipay' ? m.alipayEnabled : m.wechatEnabled));
}

/** The merchant whose appkey and pay token the link carries, or null. */
async function merchantOf(services: Services, params: RawParams): Promise<Merchant | null> {
  const appkey = stringParam(params, 'appkey') ?? '';
  const token = stringParam(params, 'token') ?? '';
  if (appkey === '' || appkey.length > 64 || token.length > 128) return null;
  const merchant = await services.merchants.findByAppkey(appkey);
  if (!merchant || !secretsEqual(token, merchant.payToken)) return null;
  return merchant;
}

/**
 * The quick collection page (spec "Quick collection page"): `GET /pay/any` shows a form,
 * `POST /pay/any` creates an any-amount order for the merchant and sends the payer (303) to its
 * cashier. The link's `token` is the merchant's pay token; `stable=1` shows the given
 * price / contact read-only (a convenience: the link itself is not signed).
 */
export function anypayRoutes(app: FastifyInstance, services: Services) {
  const limits = app.abuseLimits;
  const page = (reply: FastifyReply, status: number, body: string, nonce: string) =>
    reply.code(status).headers(htmlHeaders(nonce)).send(body);
  const tooMany = (reply: FastifyReply, lang: CashierLang, nonce: string, retryAfter: number) => {
    const m = TOO_MANY[lang];
    reply.header('retry-after', String(retryAfter));
    page(reply, 429, renderMessagePage({ lang, nonce, title: m.title, text: m.text(retryAfter) }), nonce);
  };

  /**
   * Reads the link or the submitted form; answers 403 itself when the link is not valid, and 429
   * when this address has sent too many wrong links or (POST) too many orders in the window.
   */
  const open = async (request: FastifyRequest, reply: FastifyReply) => {
    const params = readParams(request);
    const langParam = stringParam(params, 'lang');
    const lang = pickLang(langParam, request.headers['accept-language']);
    const t = MESSAGES[lang];
    const nonce = randomToken(12);
    const blocked =
      (await limits.payAnyBadToken.full(request)) ??
      (request.method === 'POST' ? await limits.payAnyCreate.hit(request) : null);
    if (blocked !== null) {
      tooMany(reply, lang, nonce, blocked);
      return null;
    }
    const merchant = await merchantOf(services, params);
    if (!merchant || !merchant.enabled) {
      // Only a wrong appkey or token is guessing; a disabled merchant's own link is not.
      if (!merchant) await limits.payAnyBadToken.hit(request);
      page(reply, 403, renderMessagePage({ lang, nonce, title: t.forbidden, text: t.forbiddenText }), nonce);
      return null;
    }
    const types = enabledTypes(merchant);
    if (!merchant.apiEnabled || types.length === 0) {
      page(reply, 403, renderMessagePage({ lang, nonce, title: t.unavailable, text: t.noMethod }), nonce);
      return null;
    }
    const stable = stringParam(params, 'stable') === '1';
    const price = (stringParam(params, 'price') ?? '').trim().slice(0, 20);
    const custom = (stringParam(params, 'custom') ?? '').slice(0, MAX_CONTACT_LENGTH);
    const form: AnyPayForm = {
      appkey: merchant.appkey,
      token: merchant.payToken,
      merchantName: merchant.name,
      types,
      price,
      custom,
      type: stringParam(params, 'type') ?? '',
      stable,
      lockPrice: stable && parsePositiveCents(price) !== null,
      lockCustom: stable && custom !== '',
      skin: stringParam(params, 'skin') === '1' ? '1' : '0',
      explicitLang: langParam === 'en' || langParam === 'zh' ? (langParam as CashierLang) : null,
    };
    return { params, lang, t, nonce, merchant, form };
  };

  app.get('/pay/any', async (request, reply) => {
    const ctx = await open(request, reply);
    if (!ctx) return reply;
    return page(
      reply,
      200,
      renderAnyPayPage({ lang: ctx.lang, nonce: ctx.nonce, form: ctx.form }),
      ctx.nonce,
    );
  });

  app.post('/pay/any', async (request, reply) => {
    const ctx = await open(request, reply);
    if (!ctx) return reply;
    const { lang, t, nonce, merchant, form } = ctx;
    const again = (status: number, error: string) =>
      page(reply, status, renderAnyPayPage({ lang, nonce, form, error }), nonce);

    const cents = parsePositiveCents(form.price);
    if (cents === null) return again(400, t.badAmount);
    const rawCustom = stringParam(ctx.params, 'custom') ?? '';
    if (rawCustom.length > MAX_CONTACT_LENGTH) return again(400, t.badContact);
    const type = form.type;
    if (!isPaymentType(type) || !form.types.includes(type)) return again(400, t.badType);

    const outOrderId = `any-${randomToken(12)}`;
    try {
      const { order } = await services.orders.create({
        merchant,
        kind: 'anypay',
        type,
        pricing: { by: 'amount', priceCents: cents },
        outOrderId,
        custom: form.custom,
        fingerprint: JSON.stringify(['pay-any', outOrderId]),
        quick: { clientAddress: clientAddress(request) },
      });
      const target = payUrl(services.config.publicUrl, order);
      return reply
        .code(303)
        .header('cache-control', 'no-store')
        .redirect(form.explicitLang ? `${target}&lang=${form.explicitLang}` : target, 303);
    } catch (err) {
      if (err instanceof GatewayError) {
        // Too many unpaid orders from this payer: 429, in the payer's language alone.
        if (err.override?.en === SPECIAL_MESSAGES.tooManyOpenOrders.en) return again(429, err.override[lang]);
        return again(err.code === 204 || err.code === 110 ? 503 : 400, err.localized(lang));
      }
      throw err;
    }
  });
}
