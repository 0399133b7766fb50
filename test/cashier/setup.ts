import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createParams, postForm } from '../helpers/gatepay.js';
import type { TestGateway } from '../helpers/gateway.js';

/** A merchant's own little site on a free port: return page, timeout page, notify endpoint. */
export interface MerchantSite {
  url: string;
  /** What the notify endpoint answers (the dispatcher wants `success`). */
  answer: string;
  notifications: Array<Record<string, string>>;
  returns: URL[];
  timeouts: URL[];
  close(): Promise<void>;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => resolve(body));
    req.on('error', reject);
  });
}

export async function startMerchantSite(answer = 'success'): Promise<MerchantSite> {
  const site: MerchantSite = {
    url: '',
    answer,
    notifications: [],
    returns: [],
    timeouts: [],
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
  const page = (title: string) =>
    `<!doctype html><meta charset="utf-8"><title>${title}</title><h1 id="merchant">${title}</h1>`;
  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', site.url);
    if (url.pathname === '/notify') {
      const body = await readBody(req);
      site.notifications.push(Object.fromEntries(new URLSearchParams(body || url.search)));
      res.end(site.answer);
    } else if (url.pathname === '/return') {
      site.returns.push(url);
      res.setHeader('content-type', 'text/html; charset=utf-8');
      res.end(page('Merchant return page'));
    } else if (url.pathname === '/timeout') {
      site.timeouts.push(url);
      res.setHeader('content-type', 'text/html; charset=utf-8');
      res.end(page('Merchant timeout page'));
    } else {
      res.statusCode = 404;
      res.end('not found');
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  site.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return site;
}

export interface SeededMerchant {
  id: number;
  appkey: string;
  appsecret: string;
  payToken: string;
  alipayAccountId: number;
  wechatAccountId: number;
}

export const ALIPAY_QR = 'https://qr.alipay.com/fkx19414ynwlmzydgqnao5a';
export const WECHAT_QR = 'wxp://f2f0P3a7LnCxV2Fk9y8uVfQyLqN4sHdRm2cX';

/** A merchant calling back to `site`, with one Alipay and one WeChat receiving account. */
export async function seedMerchant(
  gw: TestGateway,
  site: MerchantSite,
  opts: { name?: string; timeout?: boolean; returnQuery?: string } = {},
): Promise<SeededMerchant> {
  const m = await gw.services.merchants.add({
    name: opts.name ?? '星光小铺',
    notifyUrl: `${site.url}/notify`,
    returnUrl: `${site.url}/return${opts.returnQuery ?? ''}`,
    timeoutUrl: opts.timeout ? `${site.url}/timeout` : null,
  });
  const a = await gw.services.accounts.add({
    merchantId: m.id,
    type: 'alipay',
    name: 'A',
    qrContent: ALIPAY_QR,
  });
  const w = await gw.services.accounts.add({
    merchantId: m.id,
    type: 'wechat',
    name: 'W',
    qrContent: WECHAT_QR,
  });
  return {
    id: m.id,
    appkey: m.appkey,
    appsecret: m.appsecret,
    payToken: m.payToken,
    alipayAccountId: a.id,
    wechatAccountId: w.id,
  };
}

let seq = 0;

/** Creates an any-amount order over the merchant API, as a merchant's server would. */
export async function createOrder(
  gw: TestGateway,
  m: SeededMerchant,
  opts: { price?: string; type?: 'alipay' | 'wechat'; outOrderId?: string; custom?: string } = {},
) {
  const r = await postForm(
    `${gw.url}/api/anypay/create`,
    createParams(m, {
      price: opts.price ?? '10',
      type: opts.type ?? 'alipay',
      out_order_id: opts.outOrderId ?? `T${Date.now()}-${++seq}`,
      custom: opts.custom ?? '',
    }),
  );
  if (r.body.code !== 100) throw new Error(`create failed: ${JSON.stringify(r.body)}`);
  const data = r.body.data as {
    order_id: number;
    pay_url: string;
    realprice: string;
    price: string;
    expire_time: number;
    params: Record<string, string>;
  };
  return { ...data, token: new URL(data.pay_url).searchParams.get('id') as string };
}

/** Reports the buyer's payment as a monitor would: the order's account, type and realprice. */
export async function simulatePayment(gw: TestGateway, token: string) {
  const order = await gw.services.orders.findByToken(token);
  if (!order) throw new Error(`no order ${token}`);
  return gw.services.payments.record({
    accountId: order.accountId,
    type: order.type,
    amountCents: order.realpriceCents,
    paidAt: gw.services.clock(),
    reporterId: `sim-${token}`,
    source: 'simulate',
  });
}

/** Polls `check` until it returns a truthy value (or fails after `timeoutMs`). */
export async function until<T>(
  check: () => T | Promise<T>,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
