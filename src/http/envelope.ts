import { ERROR_CATALOGUE, type GatewayError } from '../domain/errors.js';

export type Lang = 'zh' | 'en';

export interface Envelope<T> {
  code: number;
  msg: string;
  time: string;
  data: T | null;
}

function unixSeconds(now: number): string {
  return String(Math.floor(now / 1000));
}

/** The GatePay success envelope. */
export function okEnvelope<T>(data: T, lang: Lang, now: number): Envelope<T> {
  return { code: 100, msg: ERROR_CATALOGUE[100][lang], time: unixSeconds(now), data };
}

/** The GatePay error envelope: `data: null`, a human message, never a stack trace. */
export function errorEnvelope(err: GatewayError, lang: Lang, now: number): Envelope<null> {
  return { code: err.code, msg: err.localized(lang), time: unixSeconds(now), data: null };
}

/** zh-CN by default; `lang=en` asks for English messages. */
export function langOf(params: Record<string, unknown>): Lang {
  return params.lang === 'en' ? 'en' : 'zh';
}
