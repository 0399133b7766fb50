import type { ParseArgsConfig } from 'node:util';
import { cliActor } from '../audit/actor.js';
import type { Config } from '../config.js';
import { migrateToLatest } from '../db/migrate.js';
import { InvalidInputError, NotFoundError } from '../domain/errors.js';
import { formatCents, parsePositiveCents } from '../domain/money.js';
import { randomToken } from '../lib/tokens.js';
import { publicMerchant } from '../merchants/merchant.model.js';
import { type MerchantSettings, parseGrace } from '../merchants/merchant.service.js';
import { listOrders } from '../orders/order.query.js';
import { readQrImageFile } from '../qrcode/image-file.js';
import type { Services } from '../services.js';

type Values = Record<string, string | boolean | (string | boolean)[] | undefined>;

export interface CommandContext {
  services: Services;
  values: Values;
  positionals: string[];
  config: Config;
  /** The database the command opened, as the operator should read it (see `describeDatabase`). */
  database: string;
}

export interface Command {
  path: string[];
  usage: string;
  options: NonNullable<ParseArgsConfig['options']>;
  run(ctx: CommandContext): Promise<unknown>;
}

function str(v: Values, name: string, required = true): string | undefined {
  const x = v[name];
  if (typeof x === 'string') return x;
  if (required) throw new InvalidInputError(`--${name} is required`);
  return undefined;
}

function id(text: string | undefined, what: string): number {
  if (text === undefined || !/^[1-9][0-9]{0,15}$/.test(text))
    throw new InvalidInputError(`${what} must be a positive whole number`);
  return Number(text);
}

function wholeNumber(text: string, what: string): number {
  if (!/^[0-9]{1,9}$/.test(text)) throw new InvalidInputError(`${what} must be a whole number`);
  return Number(text);
}

function flag(text: string, what: string): boolean {
  if (text === '1' || text === 'true' || text === 'on') return true;
  if (text === '0' || text === 'false' || text === 'off') return false;
  throw new InvalidInputError(`${what} must be 1 or 0`);
}

const s = { type: 'string' } as const;

async function orderView(services: Services, orderId: number) {
  const o = await services.orders.findById(orderId);
  if (!o) throw new NotFoundError(`order ${orderId} not found`);
  return {
    order_id: o.id,
    out_order_id: o.outOrderId,
    status: o.status,
    late: o.late,
    price: formatCents(o.priceCents),
    realprice: formatCents(o.realpriceCents),
    account_id: o.accountId,
    notify_status: await services.notify.stateOf(o.id),
  };
}

export const CORE_COMMANDS: Command[] = [
  {
    path: ['serve'],
    usage: 'serve                                   start the gateway (HTTP server, expirer, dispatcher)',
    options: {},
    run: async () => undefined,
  },
  {
    path: ['migrate'],
    usage: 'migrate                                 apply pending database migrations',
    options: {},
    run: async ({ services, database }) => ({
      database,
      applied: await migrateToLatest(services.db),
      state: 'up to date',
    }),
  },
  {
    path: ['merchant', 'add'],
    usage: 'merchant add --name N --notify-url U --return-url U [--timeout-url U]',
    options: { name: s, 'notify-url': s, 'return-url': s, 'timeout-url': s },
    run: async ({ services, values }) => {
      const m = await services.merchants.add(
        {
          name: str(values, 'name') as string,
          notifyUrl: str(values, 'notify-url') as string,
          returnUrl: str(values, 'return-url') as string,
          timeoutUrl: str(values, 'timeout-url', false) ?? null,
        },
        { actor: cliActor() },
      );
      return { id: m.id, name: m.name, appkey: m.appkey, appsecret: m.appsecret, pay_token: m.payToken };
    },
  },
  {
    path: ['merchant', 'set'],
    usage:
      'merchant set ID [--notify-url U] [--return-url U] [--timeout-url U|""] [--order-ttl S] [--offset-direction down|up]\n' +
      '                 [--max-offset 0.99] [--rotation smart|even|random] [--notify-method POST|GET] [--enabled 1|0]\n' +
      '                 [--api-enabled 1|0] [--alipay 1|0] [--wechat 1|0] [--daily-quota N|""] [--allow-offline 1|0] [--name N]',
    options: {
      name: s,
      'notify-url': s,
      'return-url': s,
      'timeout-url': s,
      'order-ttl': s,
      'offset-direction': s,
      'max-offset': s,
      rotation: s,
      'notify-method': s,
      enabled: s,
      'api-enabled': s,
      alipay: s,
      wechat: s,
      'daily-quota': s,
      'allow-offline': s,
    },
    run: async ({ services, values, positionals }) => {
      const settings: MerchantSettings = {};
      const v = (n: string) => str(values, n, false);
      if (v('name') !== undefined) settings.name = v('name');
      if (v('notify-url') !== undefined) settings.notifyUrl = v('notify-url');
      if (v('return-url') !== undefined) settings.returnUrl = v('return-url');
      if (v('timeout-url') !== undefined) settings.timeoutUrl = v('timeout-url') || null;
      if (v('order-ttl') !== undefined)
        settings.orderTtl = wholeNumber(v('order-ttl') as string, '--order-ttl');
      if (v('offset-direction') !== undefined) settings.offsetDirection = v('offset-direction');
      if (v('max-offset') !== undefined) settings.maxOffset = v('max-offset');
      if (v('rotation') !== undefined) settings.rotation = v('rotation');
      if (v('notify-method') !== undefined) settings.notifyMethod = v('notify-method');
      if (v('enabled') !== undefined) settings.enabled = flag(v('enabled') as string, '--enabled');
      if (v('api-enabled') !== undefined)
        settings.apiEnabled = flag(v('api-enabled') as string, '--api-enabled');
      if (v('alipay') !== undefined) settings.alipayEnabled = flag(v('alipay') as string, '--alipay');
      if (v('wechat') !== undefined) settings.wechatEnabled = flag(v('wechat') as string, '--wechat');
      if (v('allow-offline') !== undefined)
        settings.allowOffline = flag(v('allow-offline') as string, '--allow-offline');
      if (v('daily-quota') !== undefined) {
        const q = v('daily-quota') as string;
        settings.dailyQuota = q === '' ? null : wholeNumber(q, '--daily-quota');
      }
      return publicMerchant(
        await services.merchants.set(id(positionals[0], 'merchant ID'), settings, { actor: cliActor() }),
      );
    },
  },
  {
    path: ['merchant', 'list'],
    usage: 'merchant list                           every merchant: id, name, state, quota (no secrets)',
    options: {},
    run: async ({ services }) => {
      const out: Awaited<ReturnType<typeof services.merchants.list>> = [];
      let page;
      do {
        page = await services.merchants.list({ limit: 1000, beforeId: out.at(-1)?.id });
        out.push(...page);
      } while (page.length === 1000);
      return out.map((m) => ({
        id: m.id,
        name: m.name,
        appkey: m.appkey,
        enabled: m.enabled,
        api_enabled: m.apiEnabled,
        alipay: m.alipayEnabled,
        wechat: m.wechatEnabled,
        daily_quota: m.dailyQuota,
        created_at: new Date(m.createdAt).toISOString(),
      }));
    },
  },
  {
    path: ['merchant', 'show'],
    usage: 'merchant show ID                        settings, appkey and appsecret of a merchant',
    options: {},
    run: async ({ services, positionals }) => {
      const m = await services.merchants.get(id(positionals[0], 'merchant ID'));
      return { ...publicMerchant(m), appsecret: m.appsecret, maxOffset: formatCents(m.maxOffsetCents) };
    },
  },
  {
    path: ['merchant', 'rotate-secret'],
    usage:
      'merchant rotate-secret ID [--grace 24h]  new appsecret; the old one still verifies requests for the grace (1h–7d)',
    options: { grace: s },
    run: async ({ services, values, positionals }) => {
      const text = str(values, 'grace', false) ?? '24h';
      const graceMs = parseGrace(text);
      if (graceMs === null) throw new InvalidInputError('--grace must be like 90m, 24h or 7d');
      const m = await services.merchants.rotateSecret(id(positionals[0], 'merchant ID'), graceMs);
      return {
        id: m.id,
        appkey: m.appkey,
        appsecret: m.appsecret,
        previous_secret_valid_until: new Date(m.previousSecretUntil as number).toISOString(),
      };
    },
  },
  {
    path: ['account', 'add'],
    usage: 'account add --merchant ID --type alipay|wechat --name N --qr CONTENT | --qr-image FILE.png|.jpg',
    options: { merchant: s, type: s, name: s, qr: s, 'qr-image': s },
    run: async ({ services, values }) => {
      const image = str(values, 'qr-image', false);
      const a = await services.accounts.add(
        {
          merchantId: id(str(values, 'merchant'), '--merchant'),
          type: str(values, 'type') as string,
          name: str(values, 'name') as string,
          ...(image === undefined
            ? { qrContent: str(values, 'qr') as string }
            : { qrImage: readQrImageFile(image), qrContent: str(values, 'qr', false) }),
        },
        { actor: cliActor() },
      );
      return { id: a.id, merchant_id: a.merchantId, type: a.type, name: a.name, monitor_key: a.monitorKey };
    },
  },
  {
    path: ['product', 'add'],
    usage: 'product add --merchant ID --name N --price 9.90 [--stock N] [--category C] [--description D]',
    options: { merchant: s, name: s, price: s, stock: s, category: s, description: s, image: s },
    run: async ({ services, values }) => {
      const stock = str(values, 'stock', false);
      return services.products.add({
        merchantId: id(str(values, 'merchant'), '--merchant'),
        name: str(values, 'name') as string,
        price: str(values, 'price') as string,
        stock: stock === undefined ? null : wholeNumber(stock, '--stock'),
        category: str(values, 'category', false),
        description: str(values, 'description', false),
        image: str(values, 'image', false),
      });
    },
  },
  {
    path: ['simulate', 'pay'],
    usage:
      'simulate pay --order ORDER_ID | --account ID --type alipay|wechat --amount X   report a payment as a monitor would',
    options: { order: s, account: s, type: s, amount: s },
    run: async ({ services, values }) => {
      const orderId = str(values, 'order', false);
      const reporterId = `sim-${randomToken(9)}`;
      const paidAt = services.clock();
      if (orderId !== undefined) {
        // Refused there, under the order's lock, when the order is paid or its hold has ended.
        const r = await services.payments.simulateForOrder(id(orderId, '--order'), reporterId);
        return { ...r, order: await orderView(services, r.orderId) };
      }
      const account = await services.payments.requireAccount(id(str(values, 'account'), '--account'));
      const type = str(values, 'type') as string;
      if (type !== account.type)
        throw new InvalidInputError(`account ${account.id} is ${account.type}, not ${type}`);
      const cents = parsePositiveCents(str(values, 'amount') as string);
      if (cents === null)
        throw new InvalidInputError('--amount must be a positive amount with at most 2 decimals');
      const r = await services.payments.record({
        accountId: account.id,
        type: account.type,
        amountCents: cents,
        paidAt,
        reporterId,
        source: 'simulate',
      });
      return 'orderId' in r && r.orderId !== null ? { ...r, order: await orderView(services, r.orderId) } : r;
    },
  },
  {
    path: ['order', 'show'],
    usage: 'order show ORDER_ID                     state of an order',
    options: {},
    run: async ({ services, positionals }) => orderView(services, id(positionals[0], 'order ID')),
  },
  {
    path: ['order', 'list'],
    usage:
      'order list [--merchant ID] [--state unpaid|paid|expired] [--type alipay|wechat] [--account ID]\n' +
      '                 [--out-order-id X] [--paid-amount 9.99] [--since 2024-05-01|ISO time] [--limit N]   newest first',
    options: {
      merchant: s,
      state: s,
      type: s,
      account: s,
      'out-order-id': s,
      'paid-amount': s,
      since: s,
      limit: s,
    },
    run: async ({ services, values }) => {
      const v = (n: string) => str(values, n, false);
      const merchant = v('merchant');
      const account = v('account');
      const since = v('since');
      const limit = v('limit');
      // The console's list, through the same service; an operator's shell sees every merchant.
      const page = await listOrders(
        { db: services.db, clock: services.clock },
        {
          merchantId: merchant === undefined ? null : id(merchant, '--merchant'),
          state: v('state'),
          type: v('type'),
          accountId: account === undefined ? undefined : id(account, '--account'),
          outOrderId: v('out-order-id'),
          paidAmount: v('paid-amount'),
          createdFrom: since === undefined ? undefined : parseSince(since),
        },
        { limit: limit === undefined ? 50 : id(limit, '--limit') },
      );
      const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
      return page.orders.map((o) => ({
        ...o,
        created_at: iso(o.created_at),
        expires_at: iso(o.expires_at),
        paid_at: iso(o.paid_at),
      }));
    },
  },
];

/** `--since`: a China-time date (its midnight) or an ISO 8601 time with its zone. */
function parseSince(text: string): number {
  const day = /^\d{4}-\d{2}-\d{2}$/.test(text) ? Date.parse(`${text}T00:00:00+08:00`) : NaN;
  if (!Number.isNaN(day) && new Date(day + 8 * 3600_000).toISOString().startsWith(text)) return day;
  const time = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(text)
    ? Date.parse(text)
    : NaN;
  if (!Number.isNaN(time)) return time;
  throw new InvalidInputError(
    '--since must be a date like 2024-05-01 (China time) or an ISO time like 2024-05-01T08:00:00Z',
  );
}
