import { type Static, Type } from 'typebox';
import { formatCents } from '../domain/money.js';
import { payUrl } from '../protocols/gatepay/gatepay.presenter.js';
import type { Services } from '../services.js';
import { consoleErrors } from './console.errors.js';
import type { ConsoleApp } from './console.routes.js';
import { errorResponses } from './console.schemas.js';
import { ensureInScope, requireMerchantId } from './scope.js';
import { type TestOrderState, TestPayments } from './test-payment.service.js';

const Id = Type.Object({ id: Type.Integer({ minimum: 1 }) });
const Ms = Type.Union([Type.Integer(), Type.Null()]);

const TestOrderBody = Type.Object({
  order: Type.Object({
    id: Type.Integer(),
    merchant_id: Type.Integer(),
    out_order_id: Type.String(),
    /** Always `test` here; the field other pages use to tag test orders. */
    origin: Type.String(),
    type: Type.String(),
    price: Type.String(),
    realprice: Type.String(),
    status: Type.String(),
    late: Type.Boolean(),
    created_at: Type.Integer(),
    expires_at: Type.Integer(),
    paid_at: Ms,
    account_id: Type.Integer(),
    account_name: Type.String(),
    /** The order's real cashier page. */
    pay_url: Type.String(),
  }),
  notifications: Type.Array(
    Type.Object({
      id: Type.Integer(),
      state: Type.String(),
      url: Type.String(),
      attempts: Type.Integer(),
      next_attempt_at: Ms,
      delivered_at: Ms,
      last_error: Type.String(),
      attempt_log: Type.Array(
        Type.Object({
          at: Type.Integer(),
          trigger: Type.String(),
          duration_ms: Type.Integer(),
          status: Type.Union([Type.Integer(), Type.Null()]),
          error: Type.String(),
          response: Type.String(),
        }),
      ),
    }),
  ),
});

const ms = (iso: string | null) => (iso === null ? null : Date.parse(iso));

/**
 * The test payment page's API (`/admin/api/test-payment/…`): create a test order, watch it
 * (the page polls `GET …/orders/:id` every second), and pay it with a simulated payment. Rules
 * live in `TestPayments`; a real order can never be simulated here.
 */
export function testPaymentRoutes(app: ConsoleApp, services: Services): void {
  const tests = new TestPayments(services);
  const publicUrl = () => services.config.publicUrl;

  const body = ({ order: o, accountName, notifications }: TestOrderState): Static<typeof TestOrderBody> => ({
    order: {
      id: o.id,
      merchant_id: o.merchantId,
      out_order_id: o.outOrderId,
      origin: o.origin,
      type: o.type,
      price: formatCents(o.priceCents),
      realprice: formatCents(o.realpriceCents),
      status: o.status,
      late: o.late,
      created_at: o.createdAt,
      expires_at: o.expiresAt,
      paid_at: o.paidAt,
      account_id: o.accountId,
      account_name: accountName,
      pay_url: payUrl(publicUrl(), o),
    },
    notifications: notifications.map((n) => ({
      id: n.id,
      state: n.state,
      url: n.url,
      attempts: n.attempts,
      next_attempt_at: ms(n.next_attempt_at),
      delivered_at: ms(n.delivered_at),
      last_error: n.last_error,
      attempt_log: (n.attempt_log ?? []).map((a) => ({
        at: Date.parse(a.at),
        trigger: a.trigger,
        duration_ms: a.duration_ms,
        status: a.status,
        error: a.error,
        response: a.response,
      })),
    })),
  });

  app.post(
    '/test-payment/orders',
    {
      schema: {
        body: Type.Object(
          {
            merchant_id: Type.Optional(Type.Integer({ minimum: 1 })),
            amount: Type.String({ maxLength: 20 }),
            type: Type.String({ maxLength: 20 }),
          },
          { additionalProperties: false },
        ),
        response: { 200: TestOrderBody, ...errorResponses },
      },
    },
    async (request) => {
      const merchantId = requireMerchantId(request, request.body.merchant_id);
      const order = await tests.create(merchantId, request.body);
      return body(await tests.state(order));
    },
  );

  app.get(
    '/test-payment/orders/:id',
    { schema: { params: Id, response: { 200: TestOrderBody, ...errorResponses } } },
    async (request) => {
      const order = await tests.findAny(request.params.id);
      // Not a test order, another merchant's, or none: the same 404.
      if (!order || order.origin !== 'test') throw consoleErrors.notFound();
      ensureInScope(request, order.merchantId);
      return body(await tests.state(order));
    },
  );

  app.post(
    '/test-payment/orders/:id/simulate',
    {
      schema: {
        params: Id,
        response: {
          200: Type.Object({
            outcome: Type.String(),
            payment_id: Type.Integer(),
            ...TestOrderBody.properties,
          }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const order = await tests.findAny(request.params.id);
      if (!order) throw consoleErrors.notFound();
      ensureInScope(request, order.merchantId);
      const result = await tests.simulate(order);
      const state = await tests.state(await tests.get(order.id));
      return { outcome: result.outcome, payment_id: result.paymentId, ...body(state) };
    },
  );
}
