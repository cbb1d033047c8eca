import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { collectDefaultMetrics, Histogram, register } from 'prom-client';

collectDefaultMetrics({ register });

const httpDuration = new Histogram({
  name: 'hgtrace_http_request_duration_seconds',
  help: 'HTTP request duration by method, route and status',
  labelNames: ['method', 'route', 'status'],
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
});

/**
 * Times every request from its arrival (Fastify's own clock) to the end of the response; the route
 * label is the route pattern, never the raw URL, to keep cardinality bounded.
 */
export function recordHttpMetrics(fastify: FastifyInstance): void {
  fastify.addHook('onResponse', (request, reply, done) => {
    recordAnswered(request, reply);
    done();
  });
}

/** Times an answered request (see recordHttpMetrics); also for the answers Fastify gives before any hook runs. */
export function recordAnswered(request: FastifyRequest, reply: FastifyReply): void {
  const route = request.is404 ? 'unmatched' : (request.routeOptions?.url ?? 'unmatched');
  httpDuration.observe({ method: request.method, route, status: String(reply.statusCode) }, reply.elapsedTime / 1000);
}

/** Counts the answer to a request Node could not read, under the route `unparsed` (its method is not known; it took no time the server measured). */
export function recordUnreadable(status: number): void {
  httpDuration.observe({ method: 'unknown', route: 'unparsed', status: String(status) }, 0);
}
