/**
 * How a merchant's answer to a notification is judged and recorded. Pure: the dispatcher calls
 * these after an attempt has read (at most `MAX_ANSWER_BYTES` of) the answer.
 */

/** What each protocol accepts as "processed". The rule is stored on the outbox row. */
export type SuccessRule = 'trimmed-success' | 'contains-success' | 'exact-success';

export const SUCCESS_RULES: readonly SuccessRule[] = ['trimmed-success', 'contains-success', 'exact-success'];

/** An answer longer than this is a failure (and is not read further). */
export const MAX_ANSWER_BYTES = 64 * 1024;

/** How much of the answer each attempt row keeps. */
export const SNIPPET_BYTES = 2 * 1024;

/**
 * True when the answer means the merchant processed the notification.
 * - `trimmed-success` (GatePay): a 2xx status and the body, trimmed, is `success` in any case.
 *   NUL counts as whitespace, as PHP's `trim()` sees it (`echo "success\0"`).
 * - `contains-success` (epay): the body contains `success` in any case; the status is ignored.
 * - `exact-success` (V免签): a 2xx status and the body is exactly `success`.
 */
export function isSuccessfulAnswer(rule: string, status: number, body: string): boolean {
  const ok = status >= 200 && status < 300;
  switch (rule) {
    case 'trimmed-success':
      return ok && body.replace(/^[\s\0]+|[\s\0]+$/g, '').toLowerCase() === 'success';
    case 'contains-success':
      return body.toLowerCase().includes('success');
    case 'exact-success':
      return ok && body === 'success';
    default:
      return false;
  }
}

/**
 * The first `maxBytes` of an answer as text for the attempt row. Invalid UTF-8 becomes U+FFFD;
 * a UTF-8 character cut in half at the end is dropped rather than shown as a replacement character.
 */
export function answerSnippet(bytes: Uint8Array, maxBytes = SNIPPET_BYTES): string {
  const head = bytes.subarray(0, maxBytes);
  // `stream: true` holds back an incomplete trailing sequence instead of emitting U+FFFD.
  return new TextDecoder('utf-8').decode(head, { stream: head.length < bytes.length });
}

/**
 * `text` as both databases can store it, at most `maxBytes` of UTF-8. Called on everything an
 * attempt stores that came from outside (answer snippet, error text): PostgreSQL `text` cannot
 * hold U+0000, and an insert that fails would leave the attempt unrecorded. A NUL becomes U+FFFD,
 * like the invalid UTF-8 the decoder already replaced; since U+FFFD takes 3 bytes, the cap is
 * applied after replacing (a character cut at the edge is dropped).
 */
export function storableText(text: string, maxBytes = SNIPPET_BYTES): string {
  const clean = text.replaceAll('\0', '\uFFFD');
  const bytes = new TextEncoder().encode(clean);
  if (bytes.length <= maxBytes) return clean;
  return new TextDecoder('utf-8').decode(bytes.subarray(0, maxBytes), { stream: true });
}

/** Why an answer that arrived is not a success, for the attempt row's `error`. */
export function answerError(status: number, snippet: string): string {
  if (status >= 300 && status < 400) return `redirect ${status} not followed`;
  if (status < 200 || status >= 300) return `HTTP ${status}`;
  const shown = snippet.trim().slice(0, 40);
  return shown === '' ? 'empty answer, expected "success"' : `answer "${shown}" is not "success"`;
}
