import { Type } from 'typebox';
import { findAccountById } from '../accounts/account.repository.js';
import { listUnmatchedInbox } from '../payments/payment.inbox.js';
import { findPaymentById } from '../payments/payment.repository.js';
import { findOrderById } from '../orders/order.repository.js';
import type { Services } from '../services.js';
import { consoleErrors } from './console.errors.js';
import type { ConsoleApp } from './console.routes.js';
import { errorResponses } from './console.schemas.js';
import { consoleActor } from './orders.routes.js';
import { ensureInScope, scopedMerchantId } from './scope.js';

const CandidateBody = Type.Object({
  order_id: Type.Integer(),
  out_order_id: Type.String(),
  title: Type.String(),
  price: Type.String(),
  realprice: Type.String(),
  state: Type.String(),
  created_at: Type.Integer(),
  expires_at: Type.Integer(),
  amount_difference: Type.String(),
  created_offset_ms: Type.Integer(),
});

const UnmatchedBody = Type.Object({
  id: Type.Integer(),
  account_id: Type.Integer(),
  account_name: Type.String(),
  merchant_id: Type.Integer(),
  type: Type.String(),
  amount: Type.String(),
  paid_at: Type.Integer(),
  received_at: Type.Integer(),
  source: Type.String(),
  reporter_id: Type.String(),
  payer: Type.String(),
  memo: Type.String(),
  /** Why nothing matched: `no_order`, `ambiguous` or `order_paid`. */
  match_note: Type.String(),
  candidates: Type.Array(CandidateBody),
});

/**
 * The payments page's API: the inbox of payments no order matched, each with the orders it
 * could belong to, and attaching one to an order (`PaymentService.attach`, audited with the
 * console user as actor). A merchant's users may attach their own payments: the money arrived.
 */
export function paymentsRoutes(app: ConsoleApp, services: Services): void {
  const deps = { db: services.db, clock: services.clock };

  app.get(
    '/payments/unmatched',
    {
      schema: {
        querystring: Type.Object({
          merchant_id: Type.Optional(Type.Integer({ minimum: 1 })),
          cursor: Type.Optional(Type.String({ maxLength: 100 })),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
        }),
        response: {
          200: Type.Object({
            payments: Type.Array(UnmatchedBody),
            next_cursor: Type.Union([Type.String(), Type.Null()]),
          }),
          ...errorResponses,
        },
      },
    },
    async (request) =>
      listUnmatchedInbox(deps, {
        merchantId: scopedMerchantId(request, request.query.merchant_id),
        cursor: request.query.cursor,
        limit: request.query.limit,
      }),
  );

  app.post(
    '/payments/:id/attach',
    {
      schema: {
        params: Type.Object({ id: Type.Integer({ minimum: 1 }) }),
        body: Type.Object(
          { order_id: Type.Integer({ minimum: 1 }), reason: Type.Optional(Type.String({ maxLength: 500 })) },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            payment_id: Type.Integer(),
            order_id: Type.Integer(),
            state: Type.String(),
            late: Type.Boolean(),
          }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const payment = await findPaymentById(services.db.kysely, request.params.id);
      const account = payment ? await findAccountById(services.db.kysely, Number(payment.account_id)) : null;
      if (!payment || !account) throw consoleErrors.notFound();
      ensureInScope(request, account.merchantId);
      const order = await findOrderById(services.db.kysely, request.body.order_id);
      if (!order) throw consoleErrors.notFound();
      ensureInScope(request, order.merchantId);
      const reason = request.body.reason?.trim();
      const paid = await services.payments.attach(payment.id, order.id, {
        actor: consoleActor(request),
        ...(reason ? { reason } : {}),
      });
      return { payment_id: Number(payment.id), order_id: paid.id, state: paid.status, late: paid.late };
    },
  );
}
