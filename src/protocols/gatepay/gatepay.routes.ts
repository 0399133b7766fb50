import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { GatewayError, specialError } from '../../domain/errors.js';
import { parsePositiveCents } from '../../domain/money.js';
import { isPaymentType } from '../../domain/order-state.js';
import { CREATE_SIGNED_FIELDS, type CreateKind } from './gatepay-sign.js';
import { errorEnvelope, langOf, okEnvelope } from '../../http/envelope.js';
import { type RawParams, readParams } from '../../http/params.js';
import { authenticateGatepay } from './gatepay-auth.js';
import type { Merchant } from '../../merchants/merchant.model.js';
import type { Services } from '../../services.js';
import { createAnswer, findAnswer } from './gatepay.presenter.js';
import type { OrderPricing } from '../../orders/order.service.js';

/** Parameters that would set what only the gateway decides. */
const FORBIDDEN: Record<CreateKind, readonly string[]> = {
  anypay: ['realprice'],
  cloudpay: ['realprice'],
  stablepay: ['realprice', 'price'],
  grouppay: ['realprice', 'price'],
};

const OUT_ORDER_ID = /^[\x21-\x7e]{1,128}$/;
const PRODUCT_ID = /^[1-9][0-9]{0,9}$/;
const GROUP_FIELDS = /^[1-9][0-9]{0,9}:[1-9][0-9]{0,2}(,[1-9][0-9]{0,9}:[1-9][0-9]{0,2}){0,49}$/;

function checkMerchantCanSell(m: Merchant) {
  if (!m.apiEnabled) throw new GatewayError(107);
  if (m.returnUrl === '') throw new GatewayError(108);
  if (m.notifyUrl === '') throw new GatewayError(109);
}

function pricingOf(kind: CreateKind, v: Record<string, string>): { pricing: OrderPricing; key: string } {
  if (kind === 'anypay' || kind === 'cloudpay') {
    const cents = parsePositiveCents(v.price as string);
    if (cents === null) throw new GatewayError(201);
    return { pricing: { by: 'amount', priceCents: cents }, key: String(cents) };
  }
  if (kind === 'stablepay') {
    const id = v.product_id as string;
    if (!PRODUCT_ID.test(id)) throw new GatewayError(205, `product ${id}`);
    return { pricing: { by: 'products', items: [{ productId: Number(id), quantity: 1 }] }, key: id };
  }
  const fields = v.fields as string;
  if (!GROUP_FIELDS.test(fields)) throw new GatewayError(105, 'fields must be productId:qty,productId:qty');
  const qty = new Map<number, number>();
  for (const part of fields.split(',')) {
    const [id, q] = part.split(':').map(Number) as [number, number];
    qty.set(id, (qty.get(id) ?? 0) + q);
  }
  const items = [...qty].map(([productId, quantity]) => ({ productId, quantity }));
  return {
    pricing: { by: 'products', items },
    key: items.map((i) => `${i.productId}:${i.quantity}`).join(','),
  };
}

/** The GatePay merchant API (spec/merchant-api.md): create, findOrder, product/show. */
export function gatepayRoutes(app: FastifyInstance, services: Services) {
  const findMerchant = (appkey: string) => services.merchants.findByAppkey(appkey);

  /** Runs a handler and wraps its result or refusal in the envelope (HTTP 200 either way). */
  const envelope =
    (handler: (params: RawParams) => Promise<unknown>) =>
    async (request: FastifyRequest, reply: FastifyReply) => {
      const params = readParams(request);
      const lang = langOf(params);
      try {
        const data = await handler(params);
        return reply.send(okEnvelope(data, lang, services.clock()));
      } catch (err) {
        if (err instanceof GatewayError) return reply.send(errorEnvelope(err, lang, services.clock()));
        throw err;
      }
    };

  for (const kind of Object.keys(CREATE_SIGNED_FIELDS) as CreateKind[]) {
    const signed = CREATE_SIGNED_FIELDS[kind];
    const handler = envelope(async (params) => {
      const { merchant, values } = await authenticateGatepay(params, signed, findMerchant, services.clock());
      for (const f of FORBIDDEN[kind]) if (params[f] !== undefined) throw new GatewayError(106, f);
      checkMerchantCanSell(merchant);
      const type = values.type as string;
      if (!isPaymentType(type)) throw new GatewayError(202);
      if (!(type === 'alipay' ? merchant.alipayEnabled : merchant.wechatEnabled)) throw new GatewayError(203);
      const outOrderId = values.out_order_id as string;
      if (!OUT_ORDER_ID.test(outOrderId))
        throw new GatewayError(105, 'out_order_id must be 1–128 printable ASCII characters');
      const { pricing, key } = pricingOf(kind, values);
      const custom = values.custom as string;
      const { order } = await services.orders.create({
        merchant,
        kind,
        type,
        pricing,
        outOrderId,
        custom,
        fingerprint: JSON.stringify([kind, type, key, custom]),
      });
      return createAnswer(services.config.publicUrl, order, values);
    });
    app.route({ method: ['GET', 'POST'], url: `/api/${kind}/create`, handler });
  }

  // findOrder, and the name GatePay's later API gives it (`/api/order/check`): one handler.
  const findOrder = envelope(async (params) => {
    const { merchant, values } = await authenticateGatepay(
      params,
      ['out_order_id'],
      findMerchant,
      services.clock(),
    );
    const order = await services.orders.findByMerchantOut(merchant.id, values.out_order_id as string);
    if (!order) throw specialError('orderNotFound');
    return findAnswer(order, await services.notify.stateOf(order.id));
  });
  app.route({ method: ['GET', 'POST'], url: '/api/find/findOrder', handler: findOrder });
  app.route({ method: ['GET', 'POST'], url: '/api/order/check', handler: findOrder });

  app.route({
    method: ['GET', 'POST'],
    url: '/api/product/show',
    handler: envelope(async (params) => {
      const { merchant } = await authenticateGatepay(params, [], findMerchant, services.clock());
      return services.products.catalogue(merchant.id);
    }),
  });
}
