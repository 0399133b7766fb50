import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { readParams, type RawParams } from '../../http/params.js';
import { isConnectionError } from '../../db/tx.js';
import type { Services } from '../../services.js';
import { type VmqAnswer, VmqMonitor } from './vmq-monitor.service.js';

/**
 * The V免签 app's endpoints at the root of the host (the app cannot use a path): `/appHeart` and
 * `/appPush`. GET as the app sends them; POST (form) too, as the original server took both.
 * Answers are always the app's JSON shape, never the GatePay envelope or a stack trace.
 */
export function vmqMonitorRoutes(app: FastifyInstance, services: Services): VmqMonitor {
  const monitor = new VmqMonitor(services, app.log);
  const handle =
    (fn: (params: RawParams, address: string) => Promise<VmqAnswer>) =>
    async (request: FastifyRequest, reply: FastifyReply) => {
      try {
        return reply.send(await fn(readParams(request), request.ip));
      } catch (err) {
        if (isConnectionError(err)) {
          request.log.warn(`V免签 monitor request failed: ${(err as Error).message}`);
          return reply.code(503).send({ code: -1, msg: '数据库暂时不可用，请稍后重试' });
        }
        request.log.error({ err }, 'V免签 monitor request failed');
        return reply.code(500).send({ code: -1, msg: '服务器错误' });
      }
    };
  app.route({
    method: ['GET', 'POST'],
    url: '/appHeart',
    handler: handle((p, a) => monitor.heartbeat(p, a)),
  });
  app.route({ method: ['GET', 'POST'], url: '/appPush', handler: handle((p, a) => monitor.push(p, a)) });
  return monitor;
}
