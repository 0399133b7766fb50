import { Type } from 'typebox';
import { formatCents } from '../domain/money.js';
import type { Services } from '../services.js';
import type { ConsoleApp } from './console.routes.js';
import { errorResponses } from './console.schemas.js';
import { DASHBOARD_PERIODS } from './dashboard.service.js';
import { scopedMerchantId } from './scope.js';

const Ms = Type.Union([Type.Integer(), Type.Null()]);
const Ratio = Type.Union([Type.Number({ minimum: 0, maximum: 1 }), Type.Null()]);

const DashboardBody = Type.Object({
  period: Type.String(),
  merchant_id: Type.Union([Type.Integer(), Type.Null()]),
  from: Type.Integer(),
  to: Type.Integer(),
  totals: Type.Object({
    received: Type.String(),
    paid_orders: Type.Integer(),
    created_orders: Type.Integer(),
    conversion: Ratio,
    late_payments: Type.Integer(),
    unmatched_payments: Type.Integer(),
    unmatched_amount: Type.String(),
    notifications: Type.Object({
      delivered: Type.Integer(),
      failed: Type.Integer(),
      pending: Type.Integer(),
      success_rate: Ratio,
    }),
    median_pay_ms: Ms,
  }),
  chart: Type.Object({
    unit: Type.Union([Type.Literal('hour'), Type.Literal('day')]),
    buckets: Type.Array(Type.Integer()),
    series: Type.Array(
      Type.Object({
        /** null: the other accounts together. */
        account_id: Type.Union([Type.Integer(), Type.Null()]),
        name: Type.String(),
        type: Type.Union([Type.String(), Type.Null()]),
        amounts: Type.Array(Type.String()),
      }),
    ),
  }),
  monitors: Type.Object({
    online: Type.Integer(),
    total: Type.Integer(),
    accounts: Type.Array(
      Type.Object({
        id: Type.Integer(),
        merchant_id: Type.Integer(),
        name: Type.String(),
        type: Type.String(),
        online: Type.Boolean(),
        last_heartbeat_at: Ms,
      }),
    ),
  }),
  failing: Type.Object({
    count: Type.Integer(),
    latest: Type.Array(
      Type.Object({
        id: Type.Integer(),
        order_id: Type.Integer(),
        out_order_id: Type.String(),
        merchant_id: Type.Integer(),
        state: Type.String(),
        attempts: Type.Integer(),
        last_error: Type.String(),
        next_attempt_at: Ms,
        created_at: Type.Integer(),
      }),
    ),
  }),
});

/**
 * `GET /admin/api/dashboard?period=today|7d|30d`: the home page's figures (test orders left
 * out), chart, monitors and failing notifications. A merchant user sees its merchant; an
 * operator every merchant, or one with `?merchant_id=`.
 */
export function dashboardRoutes(app: ConsoleApp, services: Services): void {
  app.get(
    '/dashboard',
    {
      schema: {
        querystring: Type.Object({
          period: Type.Optional(Type.Union(DASHBOARD_PERIODS.map((p) => Type.Literal(p)))),
          merchant_id: Type.Optional(Type.Integer({ minimum: 1 })),
        }),
        response: { 200: DashboardBody, ...errorResponses },
      },
    },
    async (request) => {
      const merchantId = scopedMerchantId(request, request.query.merchant_id);
      // An operator naming a merchant that does not exist: 404, not a page of zeros.
      if (merchantId !== null) await services.merchants.get(merchantId);
      const d = await services.dashboard.dashboard(request.query.period ?? 'today', merchantId);
      const t = d.totals;
      return {
        period: d.period,
        merchant_id: d.merchantId,
        from: d.from,
        to: d.to,
        totals: {
          received: formatCents(t.receivedCents),
          paid_orders: t.paidOrders,
          created_orders: t.createdOrders,
          conversion: t.conversion,
          late_payments: t.latePayments,
          unmatched_payments: t.unmatchedPayments,
          unmatched_amount: formatCents(t.unmatchedCents),
          notifications: {
            delivered: t.notifications.delivered,
            failed: t.notifications.failed,
            pending: t.notifications.pending,
            success_rate: t.notifications.successRate,
          },
          median_pay_ms: t.medianPayMs,
        },
        chart: {
          unit: d.chart.unit,
          buckets: d.chart.buckets,
          series: d.chart.series.map((s) => ({
            account_id: s.accountId,
            name: s.name,
            type: s.type,
            amounts: s.cents.map(formatCents),
          })),
        },
        monitors: {
          online: d.monitors.online,
          total: d.monitors.total,
          accounts: d.monitors.accounts.map((a) => ({
            id: a.id,
            merchant_id: a.merchantId,
            name: a.name,
            type: a.type,
            online: a.online,
            last_heartbeat_at: a.lastHeartbeatAt,
          })),
        },
        failing: {
          count: d.failing.count,
          latest: d.failing.latest.map((f) => ({
            id: f.id,
            order_id: f.orderId,
            out_order_id: f.outOrderId,
            merchant_id: f.merchantId,
            state: f.state,
            attempts: f.attempts,
            last_error: f.lastError,
            next_attempt_at: f.nextAttemptAt,
            created_at: f.createdAt,
          })),
        },
      };
    },
  );
}
