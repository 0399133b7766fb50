import type { ProtocolFormats } from '../formats.js';
import { buildGatepayNotification } from './gatepay-notification.js';
import { buildReturnUrl, buildTimeoutUrl } from './gatepay-return.js';

/** GatePay orders: spec §2 notification, §3 return, §4 timeout, all from the merchant's settings. */
export const gatepayFormats: ProtocolFormats = {
  notification: buildGatepayNotification,
  returnUrl: (order, merchant) => buildReturnUrl(merchant, order),
  timeoutUrl: (order, merchant) => buildTimeoutUrl(merchant, order),
};
