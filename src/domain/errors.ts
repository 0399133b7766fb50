/**
 * The one catalogue of GatePay protocol codes (spec/merchant-api.md "Error codes").
 * Services throw `GatewayError`; the HTTP layer maps it to the envelope. `test/errors.test.ts`
 * keeps this table and the spec in step.
 */
export const ERROR_CATALOGUE = {
  100: { zh: '请求成功', en: 'success' },
  101: { zh: '秘钥必须', en: 'appkey missing' },
  102: { zh: '无效的秘钥', en: 'invalid appkey' },
  103: { zh: '签名必须', en: 'sign missing' },
  104: { zh: '无效的签名', en: 'invalid sign' },
  105: { zh: '参数缺失', en: 'missing parameter' },
  106: { zh: '存在禁止传递的参数', en: 'forbidden parameter present' },
  107: { zh: 'api已关闭', en: 'API closed for this merchant' },
  108: { zh: '回调接口url未填写', en: 'sync return URL not configured' },
  109: { zh: '通知接口url未填写', en: 'async notify URL not configured' },
  110: { zh: '套餐已超额', en: 'quota exceeded' },
  199: { zh: '未知错误', en: 'unknown error' },
  201: { zh: '价格无效', en: 'invalid price' },
  202: { zh: '无效的支付方式', en: 'invalid payment type' },
  203: { zh: '当前支付方式已关闭', en: 'payment type closed' },
  204: { zh: '无可用支付方式', en: 'no receiving account available' },
  205: { zh: '产品不可获得', en: 'product not available' },
  206: { zh: '当前产品无库存', en: 'product out of stock' },
  207: { zh: '外部订单号重复', en: 'duplicate out_order_id' },
} as const;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

/** Messages that share a code upstream but are told apart by `msg`. */
export const SPECIAL_MESSAGES = {
  merchantDisabled: { code: 103, zh: '秘钥已过期', en: 'merchant disabled' },
  orderNotFound: { code: 201, zh: '订单不存在', en: 'order not found' },
  tooManyOpenOrders: {
    code: 110,
    zh: '您有多笔未支付的订单，请先完成支付或稍后再试',
    en: 'you have several unpaid orders: pay one of them or try again later',
  },
} as const;

/**
 * A refusal with a protocol code. `detail` names the offending parameter or reason and is safe
 * to show to the client; it never carries secrets or stack traces.
 */
export class GatewayError extends Error {
  override name = 'GatewayError';
  constructor(
    readonly code: ErrorCode,
    readonly detail?: string,
    readonly override?: { zh: string; en: string },
  ) {
    super(`${code} ${(override ?? ERROR_CATALOGUE[code]).en}${detail ? `: ${detail}` : ''}`);
  }

  localized(lang: 'zh' | 'en'): string {
    const base = (this.override ?? ERROR_CATALOGUE[this.code])[lang];
    return this.detail ? `${base}: ${this.detail}` : base;
  }
}

export function specialError(which: keyof typeof SPECIAL_MESSAGES, detail?: string): GatewayError {
  const s = SPECIAL_MESSAGES[which];
  return new GatewayError(s.code, detail, { zh: s.zh, en: s.en });
}

/** Errors of operator-facing commands (CLI, console) that are not protocol refusals. */
export class NotFoundError extends Error {
  override name = 'NotFoundError';
}
export class InvalidInputError extends Error {
  override name = 'InvalidInputError';
}
export class ConflictError extends Error {
  override name = 'ConflictError';
}
