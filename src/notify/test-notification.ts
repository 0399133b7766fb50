import type { Config } from '../config.js';
import { webhookSignature } from '../domain/sign.js';
import { randomHex } from '../lib/tokens.js';
import { appendQuery } from '../lib/urls.js';
import type { Merchant } from '../merchants/merchant.model.js';
import type { Order } from '../orders/order.model.js';
import { answerError, isSuccessfulAnswer } from './answer.js';
import { NotificationSender } from './deliver.js';
import { buildGatepayNotification } from '../protocols/gatepay/gatepay-notification.js';

/** What the console shows after "Send test notification". */
export interface TestNotificationResult {
  method: 'POST' | 'GET';
  url: string;
  /** Every parameter sent, `sign` included: what the shop's code received. */
  params: Record<string, string>;
  /** Null when no answer arrived (refused, timeout, SSRF guard). */
  statusCode: number | null;
  durationMs: number;
  /** The first 2 KiB of the answer. */
  answer: string;
  /** True when the answer counts as `success` by the rule real notifications are judged by. */
  success: boolean;
  /** Why it did not count as success; null when it did. */
  error: string | null;
}

/** Order id of every test notification: real orders start at 1, so a shop cannot mistake it. */
export const TEST_ORDER_ID = 0;

/**
 * A sample paid order for the test notification: `order_id` 0, an `out_order_id` starting with
 * `TEST-` that no shop has issued, 0.01, and an `extend` that says what it is.
 */
function sampleOrder(merchant: Merchant, now: number): Order {
  return {
    id: TEST_ORDER_ID,
    merchantId: merchant.id,
    accountId: 0,
    token: '',
    outOrderId: `TEST-${randomHex(6).toUpperCase()}`,
    kind: 'anypay',
    type: merchant.alipayEnabled || !merchant.wechatEnabled ? 'alipay' : 'wechat',
    priceCents: 1,
    realpriceCents: 1,
    productId: '0',
    title: '',
    custom: 'Shouyin test notification: no payment was made, do not ship anything',
    fingerprint: '',
    status: 'paid',
    late: false,
    createdAt: now,
    expiresAt: now,
    paidAt: now,
    paymentId: null,
    holdUntil: now,
    origin: 'test',
    oversold: false,
    protocol: 'gatepay',
    notifyUrl: '',
    returnUrl: '',
    protocolData: {},
  };
}

/**
 * Sends one signed sample notification to the merchant's async notify URL, now, and reports
 * the answer (the console's "Send test notification"). It is built by the same builder as a
 * real notification (plus `test=1`), carries the same Standard Webhooks headers, goes through
 * the same sender (SSRF guard, connect and total timeouts, 64 KiB cap, no redirects) and is
 * judged by the same success rule; nothing is stored, so no order and no outbox row is touched.
 */
export async function sendTestNotification(
  merchant: Merchant,
  config: Config,
  now: number,
): Promise<TestNotificationResult> {
  const built = buildGatepayNotification(sampleOrder(merchant, now), merchant, now);
  const marker = { test: '1' };
  const request =
    built.method === 'GET'
      ? { ...built, url: appendQuery(built.url, marker) }
      : { ...built, body: `${built.body}&${new URLSearchParams(marker).toString()}` };
  const params = Object.fromEntries(
    new URLSearchParams(request.method === 'GET' ? new URL(request.url).search : request.body),
  );
  const webhookId = `msg_test_${randomHex(12)}`;
  const timestamp = Math.floor(now / 1000);
  const headers: Record<string, string> = {
    'webhook-id': webhookId,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': webhookSignature(merchant.appsecret, webhookId, timestamp, request.body),
    'x-shouyin-test': '1',
  };
  if (request.method !== 'GET' && request.contentType !== '') headers['content-type'] = request.contentType;
  const sender = new NotificationSender({
    connectTimeoutMs: config.notifyConnectTimeoutMs,
    totalTimeoutMs: config.notifyTotalTimeoutMs,
    allowPrivate: config.allowPrivateCallbacks,
  });
  try {
    const outcome = await sender.send({
      method: request.method,
      url: request.url,
      body: request.body,
      headers,
    });
    const success =
      outcome.error === null &&
      outcome.statusCode !== null &&
      isSuccessfulAnswer(request.successRule, outcome.statusCode, outcome.body);
    return {
      method: request.method,
      url: request.url,
      params,
      statusCode: outcome.statusCode,
      durationMs: outcome.durationMs,
      answer: outcome.snippet,
      success,
      error: success ? null : (outcome.error ?? answerError(outcome.statusCode ?? 0, outcome.snippet)),
    };
  } finally {
    await sender.destroy();
  }
}
