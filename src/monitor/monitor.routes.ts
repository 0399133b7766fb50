import type { FastifyInstance } from 'fastify';
import type { Services } from '../services.js';

/** Monitor surfaces: the Shouyin monitor API and the V免签 app protocol (payment-detection issue). */
export function monitorRoutes(_app: FastifyInstance, _services: Services) {}
