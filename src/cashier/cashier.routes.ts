import type { FastifyInstance } from 'fastify';
import { readParams, stringParam } from '../http/params.js';
import { randomToken } from '../lib/tokens.js';
import type { Services } from '../services.js';
import { anypayRoutes } from './anypay.routes.js';
import { payEventsRoute } from './cashier.events.js';
import { renderMessagePage, renderPayPage } from './cashier.page.js';
import { CashierService, stateJson } from './cashier.service.js';
import { isMobileUserAgent, isWechatBrowser, MESSAGES, pickLang } from './i18n.js';
import { htmlHeaders } from './layout.js';
import { qrImage } from './qr-image.js';
import { locationHeader } from '../lib/urls.js';

/**
 * The cashier behind `pay_url`: `GET /pay/api?id=<token>` (HTML, or JSON with `format=json`),
 * its live status stream `GET /pay/events?id=<token>`, and the quick collection page `/pay/any`.
 */
export function cashierRoutes(app: FastifyInstance, services: Services) {
  const cashier = new CashierService(services);

  app.get('/pay/api', async (request, reply) => {
    const params = readParams(request);
    const id = stringParam(params, 'id') ?? '';
    const json = stringParam(params, 'format') === 'json';
    const state = await cashier.stateByToken(id);

    if (json) {
      reply.header('cache-control', 'no-store');
      if (!state) return reply.code(404).send({ code: 404, msg: 'order not found', data: null });
      return reply.send(stateJson(state));
    }

    const lang = pickLang(stringParam(params, 'lang'), request.headers['accept-language']);
    const nonce = randomToken(12);
    if (!state) {
      const t = MESSAGES[lang];
      return reply
        .code(404)
        .headers(htmlHeaders(nonce))
        .send(renderMessagePage({ lang, nonce, title: t.notFound, text: t.notFoundText }));
    }
    // Nothing left to show: delivered → the signed return URL; closed → the timeout URL if set.
    if ((state.phase === 'done' || state.phase === 'closed') && state.redirectUrl) {
      return reply.header('cache-control', 'no-store').redirect(locationHeader(state.redirectUrl), 302);
    }
    const qr = state.phase === 'waiting' ? await cashier.qrFor(state.order) : null;
    const ua = request.headers['user-agent'];
    const mobile = isMobileUserAgent(ua);
    const page = renderPayPage({
      lang,
      state,
      qr,
      // On a phone the app button comes first; the code is for a screenshot, so a little smaller.
      qrImage: qr ? qrImage(qr.content, mobile ? 200 : 240) : null,
      mobile,
      wechatBrowser: isWechatBrowser(ua),
      nonce,
    });
    return reply.headers(htmlHeaders(nonce)).send(page);
  });

  payEventsRoute(app, services, cashier);
  anypayRoutes(app, services);
}
