import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { findFixedCode, listAccounts } from '../../accounts/account.repository.js';
import { isOnline } from '../../accounts/account.model.js';
import { isConnectionError } from '../../db/tx.js';
import { GatewayError } from '../../domain/errors.js';
import { formatCentsPhp, parsePositiveCents } from '../../domain/money.js';
import { md5, signaturesEqual } from '../../domain/sign.js';
import { readParams, type RawParams, stringParam } from '../../http/params.js';
import { isHttpUrl, locationHeader } from '../../lib/urls.js';
import { findMerchantById } from '../../merchants/merchant.repository.js';
import type { Merchant } from '../../merchants/merchant.model.js';
import type { Order } from '../../orders/order.model.js';
import type { Services } from '../../services.js';
import { payUrl } from '../gatepay/gatepay.presenter.js';
import { vmqFormats, vmqType } from './vmq-formats.js';

/** A refusal in V免签's shape: `{"code":-1,"msg":…}`, HTTP 200. */
class VmqRefusal extends Error {}

const price = (cents: number) => Number(formatCentsPhp(cents));

/**
 * The V免签 merchant API (compat-vmq.md "Merchant API") under `/vmq/{merchantId}/`: shops
 * configure that base URL and append the method name. GET and POST both work; answers are
 * `{code, msg, data}` with HTTP 200, never the GatePay envelope or a stack trace.
 */
export function vmqMerchantRoutes(app: FastifyInstance, services: Services): void {
  const db = services.db.kysely;

  const orderOf = async (merchant: Merchant, params: RawParams): Promise<Order> => {
    const id = Number(stringParam(params, 'orderId'));
    const order = Number.isSafeInteger(id) && id > 0 ? await services.orders.findById(id) : null;
    if (!order || order.merchantId !== merchant.id || order.protocol !== 'vmq')
      throw new VmqRefusal('云端订单编号不存在');
    return order;
  };

  const orderData = async (order: Order) => {
    const fixed = await findFixedCode(db, order.accountId, order.realpriceCents);
    const delivered = order.status === 'paid' && (await services.notify.stateOf(order.id)) === 'delivered';
    return {
      payId: order.outOrderId,
      orderId: String(order.id),
      payType: Number(vmqType(order)),
      price: price(order.priceCents),
      reallyPrice: price(order.realpriceCents),
      payUrl: payUrl(services.config.publicUrl, order),
      isAuto: fixed ? 0 : 1,
      state: order.status === 'expired' ? -1 : order.status === 'unpaid' ? 0 : delivered ? 1 : 2,
      timeOut: Math.round((order.expiresAt - order.createdAt) / 60_000),
      date: Math.floor(order.createdAt / 1000),
    };
  };

  const methods: Record<string, (m: Merchant, p: RawParams, reply: FastifyReply) => Promise<unknown>> = {
    async createOrder(merchant, p, reply) {
      const payId = stringParam(p, 'payId') ?? '';
      const param = stringParam(p, 'param') ?? '';
      const type = stringParam(p, 'type') ?? '';
      const priceText = stringParam(p, 'price') ?? '';
      const sign = stringParam(p, 'sign') ?? '';
      if (!signaturesEqual(sign, md5(payId + param + type + priceText + merchant.appsecret)))
        throw new VmqRefusal('签名校验不通过');
      if (!/^[\x21-\x7e]{1,128}$/.test(payId)) throw new VmqRefusal('请传入商户订单号');
      if (type !== '1' && type !== '2') throw new VmqRefusal('请传入支付方式=>1|微信 2|支付宝');
      const cents = parsePositiveCents(priceText);
      if (cents === null) throw new VmqRefusal('请传入订单金额');
      const notifyUrl = stringParam(p, 'notifyUrl') ?? '';
      const returnUrl = stringParam(p, 'returnUrl') ?? '';
      for (const u of [notifyUrl, returnUrl])
        if (u !== '' && !isHttpUrl(u)) throw new VmqRefusal('notifyUrl / returnUrl 必须是 http(s) 地址');
      if (!notifyUrl && !merchant.notifyUrl) throw new VmqRefusal('请先设置异步回调地址');
      const paymentType = type === '1' ? 'wechat' : 'alipay';
      if (!(paymentType === 'alipay' ? merchant.alipayEnabled : merchant.wechatEnabled))
        throw new VmqRefusal('该支付方式未开启');
      const { order } = await services.orders.create({
        merchant,
        kind: 'cloudpay',
        type: paymentType,
        pricing: { by: 'amount', priceCents: cents },
        outOrderId: payId,
        custom: param,
        fingerprint: JSON.stringify(['vmq', type, cents, param, notifyUrl, returnUrl]),
        protocol: { name: 'vmq', notifyUrl, returnUrl, data: { param } },
      });
      if (stringParam(p, 'isHtml') === '1')
        return reply.redirect(locationHeader(payUrl(services.config.publicUrl, order)), 302);
      return { code: 1, msg: '成功', data: await orderData(order) };
    },
    async getOrder(merchant, p) {
      return { code: 1, msg: '成功', data: await orderData(await orderOf(merchant, p)) };
    },
    async checkOrder(merchant, p) {
      const order = await orderOf(merchant, p);
      if (order.status === 'expired') throw new VmqRefusal('订单已过期');
      if (order.status !== 'paid') throw new VmqRefusal('订单未支付');
      return { code: 1, msg: '成功', data: vmqFormats.returnUrl(order, merchant) ?? '' };
    },
    async closeOrder(merchant, p) {
      const orderId = stringParam(p, 'orderId') ?? '';
      if (!signaturesEqual(stringParam(p, 'sign') ?? '', md5(orderId + merchant.appsecret)))
        throw new VmqRefusal('签名校验不通过');
      const order = await orderOf(merchant, p);
      if (order.status === 'paid') throw new VmqRefusal('订单已支付，无法关闭');
      await services.orders.close(order.id);
      return { code: 1, msg: '成功', data: null };
    },
    async getState(merchant, p) {
      const t = stringParam(p, 't') ?? '';
      if (!signaturesEqual(stringParam(p, 'sign') ?? '', md5(t + merchant.appsecret)))
        throw new VmqRefusal('签名校验不通过');
      const accounts = await listAccounts(db, merchant.id);
      const now = services.clock();
      const heart = Math.max(0, ...accounts.map((a) => a.lastHeartbeatAt ?? 0));
      const activity = await services.accounts.activity(merchant.id);
      const lastPay = Math.max(0, ...[...activity.values()].map((a) => a.lastPaidAt ?? 0));
      const jkstate =
        heart === 0
          ? -1
          : accounts.some((a) => isOnline(a, now, services.config.monitorOfflineAfter))
            ? 1
            : 0;
      return {
        code: 1,
        msg: '成功',
        data: { lastheart: Math.floor(heart / 1000), lastpay: Math.floor(lastPay / 1000), jkstate },
      };
    },
  };

  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    const { merchantId, method } = request.params as { merchantId: string; method: string };
    const fn = Object.hasOwn(methods, method) ? methods[method] : undefined;
    if (!fn) return reply.code(404).send({ code: -1, msg: 'not found', data: null });
    try {
      const id = Number(merchantId);
      const merchant = /^[1-9][0-9]{0,15}$/.test(merchantId) ? await findMerchantById(db, id) : null;
      if (!merchant || !merchant.enabled) throw new VmqRefusal('商户不存在');
      const answer = await fn(merchant, readParams(request), reply);
      return reply.sent ? reply : reply.send(answer);
    } catch (err) {
      if (err instanceof VmqRefusal) return reply.send({ code: -1, msg: err.message, data: null });
      if (err instanceof GatewayError) return reply.send({ code: -1, msg: err.localized('zh'), data: null });
      if (isConnectionError(err)) {
        return reply
          .code(503)
          .header('retry-after', '1')
          .send({ code: -1, msg: '数据库暂时不可用，请稍后重试' });
      }
      request.log.error({ err }, 'V免签 merchant request failed');
      return reply.code(500).send({ code: -1, msg: '服务器错误', data: null });
    }
  };
  app.route({ method: ['GET', 'POST'], url: '/vmq/:merchantId/:method', handler });
}
