/** A fully built outbox request: the dispatcher sends it without knowing any protocol. */
export interface OutboundNotification {
  method: 'POST' | 'GET';
  url: string;
  body: string;
  contentType: string;
  /** `trimmed-success`: the trimmed body equals `success`, any case (GatePay);
   * `contains-success`: the body contains `success`, any case (易支付); `exact-success`: the body
   * is exactly `success` (V免签). */
  successRule: 'trimmed-success' | 'contains-success' | 'exact-success';
}
