import { Readable } from 'node:stream';
import type { FastifyRequest } from 'fastify';
import { type Static, Type } from 'typebox';
import { orderDetail } from '../orders/order.detail.js';
import {
  chinaTime,
  exportOrdersCsv,
  listOrders,
  MAX_PAGE,
  type OrderFilterInput,
} from '../orders/order.query.js';
import { findOrderById } from '../orders/order.repository.js';
import type { Services } from '../services.js';
import { consoleErrors } from './console.errors.js';
import type { ConsoleApp } from './console.routes.js';
import { errorResponses } from './console.schemas.js';
import { ensureInScope, scopedMerchantId, signedIn } from './scope.js';

const Id = Type.Object({ id: Type.Integer({ minimum: 1 }) });
const Ms = Type.Union([Type.Integer(), Type.Null()]);
const Scalar = Type.Union([Type.String(), Type.Number(), Type.Boolean(), Type.Null()]);

/** The orders list's filters (the CSV export takes the same). Checked again by the service. */
const FilterQuery = {
  merchant_id: Type.Optional(Type.Integer({ minimum: 1 })),
  state: Type.Optional(Type.String({ maxLength: 20 })),
  type: Type.Optional(Type.String({ maxLength: 20 })),
  account_id: Type.Optional(Type.Integer({ minimum: 1 })),
  out_order_id: Type.Optional(Type.String({ maxLength: 200 })),
  /** "Who paid 9.99?": paid orders whose payment was this amount. */
  paid_amount: Type.Optional(Type.String({ maxLength: 20 })),
  /** created_at ≥ this (unix ms). */
  created_from: Type.Optional(Type.Integer({ minimum: 0 })),
  /** created_at < this (unix ms). */
  created_before: Type.Optional(Type.Integer({ minimum: 0 })),
};

/** The filter fields of a request's query string, as the routes receive them. */
type FilterValues = { [K in keyof typeof FilterQuery]?: Static<(typeof FilterQuery)[K]> };

const ListQuery = Type.Object({
  ...FilterQuery,
  cursor: Type.Optional(Type.String({ maxLength: 100 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_PAGE })),
});

const OrderItem = Type.Object({
  id: Type.Integer(),
  out_order_id: Type.String(),
  merchant_id: Type.Integer(),
  account_id: Type.Integer(),
  account_name: Type.String(),
  type: Type.String(),
  kind: Type.String(),
  /** `api`, `quick` (quick collection page) or `test` (the console's test payment). */
  origin: Type.String(),
  title: Type.String(),
  custom: Type.String(),
  price: Type.String(),
  realprice: Type.String(),
  paid_amount: Type.Union([Type.String(), Type.Null()]),
  state: Type.String(),
  late: Type.Boolean(),
  oversold: Type.Boolean(),
  created_at: Type.Integer(),
  expires_at: Type.Integer(),
  paid_at: Ms,
  notify_state: Type.Union([Type.String(), Type.Null()]),
});

const PaymentBody = Type.Object({
  id: Type.Integer(),
  amount: Type.String(),
  paid_at: Type.Integer(),
  received_at: Type.Integer(),
  source: Type.String(),
  reporter_id: Type.String(),
  payer: Type.String(),
  memo: Type.String(),
  late: Type.Boolean(),
});

const CandidatePaymentBody = Type.Object({
  id: Type.Integer(),
  account_id: Type.Integer(),
  type: Type.String(),
  amount: Type.String(),
  paid_at: Type.Integer(),
  received_at: Type.Integer(),
  source: Type.String(),
  reporter_id: Type.String(),
  payer: Type.String(),
  memo: Type.String(),
  match_note: Type.String(),
  amount_difference: Type.String(),
  paid_offset_ms: Type.Integer(),
});

const DetailBody = Type.Object({
  order: Type.Object({ ...OrderItem.properties, hold_until: Type.Integer(), pay_url: Type.String() }),
  request: Type.Array(Type.Object({ name: Type.String(), value: Type.String() })),
  account: Type.Union([
    Type.Object({ id: Type.Integer(), name: Type.String(), type: Type.String() }),
    Type.Null(),
  ]),
  items: Type.Array(
    Type.Object({
      product_id: Type.Integer(),
      name: Type.Union([Type.String(), Type.Null()]),
      quantity: Type.Integer(),
      price: Type.String(),
    }),
  ),
  payments: Type.Array(PaymentBody),
  notifications: Type.Array(
    Type.Object({
      id: Type.Integer(),
      method: Type.String(),
      url: Type.String(),
      state: Type.String(),
      attempts: Type.Integer(),
      next_attempt_at: Ms,
      last_error: Type.String(),
      created_at: Type.Integer(),
      delivered_at: Ms,
    }),
  ),
  timeline: Type.Array(
    Type.Object({
      kind: Type.String(),
      at: Type.Integer(),
      upcoming: Type.Boolean(),
      detail: Type.Record(Type.String(), Scalar),
    }),
  ),
  redirect: Type.Union([
    Type.Object({ kind: Type.Union([Type.Literal('return'), Type.Literal('timeout')]), url: Type.String() }),
    Type.Null(),
  ]),
  candidate_payments: Type.Array(CandidatePaymentBody),
  can: Type.Object({
    resend_notification: Type.Boolean(),
    mark_paid: Type.Boolean(),
    attach_payment: Type.Boolean(),
  }),
});

/** The console user as the audit log names them. */
export function consoleActor(request: FastifyRequest): string {
  return `console:${signedIn(request).user.email}`;
}

/**
 * The orders page's API: the filtered list (keyset pages), its CSV export, an order's history
 * as a timeline, and an operator's audited "mark paid". Rules live in `orders/order.query.ts`,
 * `orders/order.detail.ts` and `PaymentService`; `shouyin order list` calls the same list.
 */
export function ordersRoutes(app: ConsoleApp, services: Services): void {
  const deps = { db: services.db, clock: services.clock };

  /** An order the caller may see; another merchant's is answered like one that does not exist. */
  async function orderInScope(request: FastifyRequest, id: number) {
    const o = await findOrderById(services.db.kysely, id);
    if (!o) throw consoleErrors.notFound();
    ensureInScope(request, o.merchantId);
    return o;
  }

  const filterOf = (request: FastifyRequest, q: FilterValues): OrderFilterInput => ({
    merchantId: scopedMerchantId(request, q.merchant_id),
    state: q.state,
    type: q.type,
    accountId: q.account_id,
    outOrderId: q.out_order_id,
    paidAmount: q.paid_amount,
    createdFrom: q.created_from,
    createdBefore: q.created_before,
  });

  app.get(
    '/orders',
    {
      schema: {
        querystring: ListQuery,
        response: {
          200: Type.Object({
            orders: Type.Array(OrderItem),
            next_cursor: Type.Union([Type.String(), Type.Null()]),
          }),
          ...errorResponses,
        },
      },
    },
    async (request) =>
      listOrders(deps, filterOf(request, request.query), {
        cursor: request.query.cursor,
        limit: request.query.limit,
      }),
  );

  app.get(
    '/orders/export.csv',
    {
      schema: {
        querystring: Type.Object({
          ...FilterQuery,
          lang: Type.Optional(Type.Union([Type.Literal('zh-CN'), Type.Literal('en')])),
        }),
        response: { 200: Type.String({ description: 'text/csv, UTF-8 with BOM' }), ...errorResponses },
      },
    },
    async (request, reply) => {
      const rows = await exportOrdersCsv(
        deps,
        filterOf(request, request.query),
        request.query.lang ?? 'zh-CN',
      );
      const stamp = chinaTime(services.clock()).replace(/[-: ]/g, '').slice(0, 12);
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="orders-${stamp}.csv"`)
        .send(Readable.from(rows) as never); // a stream: sent as it comes, never serialized
    },
  );

  app.get(
    '/orders/:id',
    { schema: { params: Id, response: { 200: DetailBody, ...errorResponses } } },
    async (request) => {
      await orderInScope(request, request.params.id);
      return orderDetail({ ...deps, publicUrl: services.config.publicUrl }, request.params.id);
    },
  );

  app.post(
    '/orders/:id/mark-paid',
    {
      // Marking a real order paid without a payment can make a shop ship goods: operators only.
      config: { auth: 'operator' },
      schema: {
        params: Id,
        body: Type.Object({ reason: Type.String({ maxLength: 500 }) }, { additionalProperties: false }),
        response: {
          200: Type.Object({
            order_id: Type.Integer(),
            state: Type.String(),
            late: Type.Boolean(),
            payment_id: Type.Integer(),
          }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      await orderInScope(request, request.params.id);
      const { order, paymentId } = await services.payments.markPaid(request.params.id, {
        actor: consoleActor(request),
        reason: request.body.reason,
      });
      return { order_id: order.id, state: order.status, late: order.late, payment_id: paymentId };
    },
  );
}
