import type { FastifyInstance } from 'fastify';
import { GatewayError } from '../domain/errors.js';
import { errorEnvelope, langOf } from '../http/envelope.js';
import { readParams, stringParam } from '../http/params.js';
import type { Clock } from '../lib/clock.js';
import { isCapacityOverflow, qrPng } from './png.js';

/** `GET /qrcode/build?size=130&text=…`: a QR code PNG of any text (the pay_url, usually). */
export function qrcodeRoutes(app: FastifyInstance, clock: Clock) {
  app.get('/qrcode/build', async (request, reply) => {
    const params = readParams(request);
    const text = stringParam(params, 'text');
    const sizeRaw = stringParam(params, 'size') ?? '200';
    const size = /^[0-9]{1,4}$/.test(sizeRaw) ? Number(sizeRaw) : NaN;
    let problem: string | null = null;
    if (text === undefined || text === '') problem = 'text';
    else if (text.length > 1000) problem = 'text longer than 1000 characters';
    else if (!(size >= 50 && size <= 1000)) problem = 'size must be 50–1000';
    const refuse = (what: string) =>
      reply.code(400).send(errorEnvelope(new GatewayError(105, what), langOf(params), clock()));
    if (problem !== null) return refuse(problem);
    let png: Buffer;
    try {
      png = qrPng(text as string, size);
    } catch (err) {
      // 1,000 characters fit unless they are multi-byte (about 777 CJK characters at most).
      if (isCapacityOverflow(err)) return refuse('text too long for a QR code');
      throw err;
    }
    return reply.type('image/png').header('cache-control', 'public, max-age=86400').send(png);
  });
}
