/** The cashier's two languages: zh-CN by default, English on request. */
export type CashierLang = 'zh' | 'en';

/**
 * Picks the page language: an explicit `lang` parameter (`en` / `zh`) wins, then the browser's
 * `Accept-Language` (the higher-weighted of Chinese and English), then Chinese.
 */
export function pickLang(param: string | undefined, acceptLanguage: string | undefined): CashierLang {
  if (param === 'en' || param === 'zh') return param;
  if (param?.toLowerCase().startsWith('zh')) return 'zh';
  if (!acceptLanguage) return 'zh';
  let best: { lang: CashierLang; q: number } | null = null;
  for (const part of acceptLanguage.split(',').slice(0, 20)) {
    const [tag = '', ...attrs] = part.trim().toLowerCase().split(';');
    const lang: CashierLang | null = tag.startsWith('zh') ? 'zh' : tag.startsWith('en') ? 'en' : null;
    if (!lang) continue;
    const qAttr = attrs.map((a) => a.trim()).find((a) => a.startsWith('q='));
    const q = qAttr ? Number(qAttr.slice(2)) : 1;
    if (!Number.isFinite(q) || q <= 0) continue;
    if (!best || q > best.q) best = { lang, q };
  }
  return best?.lang ?? 'zh';
}

/** True for phones and tablets, where the page offers app buttons instead of "scan with your phone". */
export function isMobileUserAgent(ua: string | undefined): boolean {
  return !!ua && /Mobile|Android|iPhone|iPad|iPod|HarmonyOS|OpenHarmony|Windows Phone/i.test(ua);
}

/** WeChat's in-app browser, where a long press on a QR code recognises it. */
export function isWechatBrowser(ua: string | undefined): boolean {
  return !!ua && /MicroMessenger/i.test(ua);
}

const zh = {
  htmlLang: 'zh-CN',
  title: '收银台',
  alipay: '支付宝',
  wechat: '微信支付',
  alipayApp: '支付宝',
  wechatApp: '微信',
  payWith: (t: string) => `使用${t}扫码支付`,
  merchant: '收款方',
  item: '商品',
  orderNo: '订单号',
  payExactly: '请务必支付此金额',
  exactHint: '金额须一分不差，否则无法自动确认到账',
  adjusted: (price: string) => `订单金额 ¥${price}，为区分同时付款的订单已微调，请按上方金额支付`,
  fixedCode: '二维码已包含金额，扫码后直接确认付款',
  typeAmount: (amount: string) => `扫码后请手动输入金额 ${amount}`,
  scanPc: (t: string) => `请打开手机${t}，扫一扫上方二维码`,
  openAlipay: '打开支付宝付款',
  alipayAfter: '若未自动打开，请截屏后在支付宝「扫一扫」中从相册选取二维码',
  wechatLongPress: '长按上方二维码，选择「识别图中二维码」付款',
  wechatSave: '请截屏保存二维码，打开微信「扫一扫」，从相册选取付款',
  remaining: '剩余支付时间',
  expiresHint: '超时后订单关闭，请勿再付款',
  waiting: '等待付款…',
  paid: '付款成功',
  notifying: '已收到您的付款，正在通知商户…',
  delayed: '已收到您的付款。商户暂未确认，系统会继续通知，您可以先返回商户。',
  returnToMerchant: '返回商户',
  redirecting: '正在返回商户…',
  closed: '订单已关闭',
  closedText: '该订单已超时关闭。若您已付款，请勿重复支付，并联系商户处理。',
  toTimeout: '正在返回商户…',
  notFound: '订单不存在',
  notFoundText: '链接无效或订单不存在，请返回商户重新下单。',
  switchLang: 'English',
  secure: '付款确认后自动跳转，请勿关闭本页',
  // quick collection page
  anyTitle: '付款',
  amount: '付款金额',
  amountPlaceholder: '0.00',
  contact: '联系方式（选填）',
  contactPlaceholder: '手机号 / 邮箱 / 备注',
  method: '支付方式',
  next: '下一步',
  badAmount: '请输入有效金额（最多两位小数）',
  badType: '请选择支付方式',
  badContact: '联系方式过长',
  noMethod: '商户暂未开通在线收款',
  forbidden: '链接无效',
  forbiddenText: '收款链接无效或已失效，请向商户索取新的链接。',
  unavailable: '暂时无法下单',
};

export type Messages = typeof zh;

const en: Messages = {
  htmlLang: 'en',
  title: 'Checkout',
  alipay: 'Alipay',
  wechat: 'WeChat Pay',
  alipayApp: 'Alipay',
  wechatApp: 'WeChat',
  payWith: (t) => `Scan with ${t} to pay`,
  merchant: 'Pay to',
  item: 'Item',
  orderNo: 'Order no.',
  payExactly: 'Pay exactly this amount',
  exactHint: 'Pay to the cent, or the payment cannot be matched automatically',
  adjusted: (price) =>
    `Order total ¥${price}, adjusted slightly to tell simultaneous payments apart. Please pay the amount above.`,
  fixedCode: 'The amount is built into this code: scan and confirm',
  typeAmount: (amount) => `After scanning, enter the amount ${amount}`,
  scanPc: (t) => `Open ${t} on your phone and scan the code above`,
  openAlipay: 'Open Alipay to pay',
  alipayAfter: 'If Alipay does not open, take a screenshot and pick it in Alipay › Scan › Album',
  wechatLongPress: 'Long-press the code and choose "Scan QR code in image"',
  wechatSave: 'Take a screenshot, open WeChat › Scan and pick it from your album',
  remaining: 'Time left to pay',
  expiresHint: 'The order closes when time runs out; do not pay after that',
  waiting: 'Waiting for payment…',
  paid: 'Payment received',
  notifying: 'We received your payment and are telling the merchant…',
  delayed:
    'We received your payment. The merchant has not confirmed yet; we keep telling them. You can return to the merchant now.',
  returnToMerchant: 'Return to merchant',
  redirecting: 'Returning to the merchant…',
  closed: 'Order closed',
  closedText:
    'This order timed out and was closed. If you already paid, do not pay again; contact the merchant.',
  toTimeout: 'Returning to the merchant…',
  notFound: 'Order not found',
  notFoundText:
    'The link is invalid or the order does not exist. Please go back to the merchant and order again.',
  switchLang: '中文',
  secure: 'This page moves on by itself once the payment is confirmed; keep it open',
  anyTitle: 'Pay',
  amount: 'Amount',
  amountPlaceholder: '0.00',
  contact: 'Contact (optional)',
  contactPlaceholder: 'Phone / e-mail / note',
  method: 'Payment method',
  next: 'Continue',
  badAmount: 'Enter a valid amount (at most 2 decimals)',
  badType: 'Choose a payment method',
  badContact: 'Contact is too long',
  noMethod: 'The merchant does not take online payments right now',
  forbidden: 'Invalid link',
  forbiddenText: 'This payment link is invalid or no longer valid. Ask the merchant for a new one.',
  unavailable: 'Cannot create the order right now',
};

export const MESSAGES: Record<CashierLang, Messages> = { zh, en };
