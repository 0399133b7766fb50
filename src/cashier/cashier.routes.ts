import type { FastifyInstance } from 'fastify';
import { formatCents } from '../domain/money.js';
import { readParams, stringParam } from '../http/params.js';
import type { Services } from '../services.js';

const TOKEN = /^[A-Za-z0-9_-]{10,64}$/;

/** The cashier behind `pay_url`. */
export function cashierRoutes(app: FastifyInstance, services: Services) {
  app.get('/pay/api', async (request, reply) => {
    const params = readParams(request);
    const id = stringParam(params, 'id') ?? '';
    const order = TOKEN.test(id) ? await services.orders.findByToken(id) : null;
    if (!order) {
      return reply
        .code(404)
        .type('text/html; charset=utf-8')
        .send('<!doctype html><title>订单不存在</title><p>订单不存在 / Order not found</p>');
    }
    const state = {
      order_id: order.id,
      status: order.status,
      realprice: formatCents(order.realpriceCents),
      expire_time: Math.floor(order.expiresAt / 1000),
    };
    if (stringParam(params, 'format') === 'json') return reply.send(state);
    return reply
      .type('text/html; charset=utf-8')
      .send(
        `<!doctype html><meta charset="utf-8"><title>收银台</title><p>请支付 ¥${state.realprice}</p><p>${state.status}</p>`,
      );
  });
}
