import type { Socket } from 'node:net';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { PinoLogger } from 'nestjs-pino';

/** Probes and scrapes, called every few seconds, are not logged. */
const UNLOGGED = new Set(['/health/live', '/metrics']);

/**
 * One line per answered request, as pino-http wrote it: `request completed` with the request
 * (its id, method, URL, headers with the authorization redacted, address), the response's status
 * and headers and the time taken; at `error` for a 5xx (the exception filter has logged the error
 * itself, with the request id), `warn` for a 4xx and `info` otherwise.
 *
 * It replaces pino-http as a Nest middleware, which built a child logger with the request
 * serialised and redacted for every request, whether anything was logged or not, and bound it to
 * the request's async context (an AsyncLocalStorage, which makes every promise of the process pay
 * for async hooks): 0.08 ms of CPU per request, a third of a `/health/live`. Here a request that
 * is not logged at the configured level costs a comparison. No other log line is written while a
 * request is handled, so none needs the request's bindings.
 */
export function logRequests(fastify: FastifyInstance): void {
  fastify.addHook('onResponse', (request, reply, done) => {
    logAnswered(request, reply);
    done();
  });
}

/** The line of an answered request (see logRequests); also for the answers Fastify gives before any hook runs. */
export function logAnswered(request: FastifyRequest, reply: FastifyReply): void {
  const status = reply.statusCode;
  const level = status >= 500 ? 'error' : status >= 400 ? 'warn' : 'info';
  // The logger of nestjs-pino's LoggerModule (api.module.ts): its level, serialisers and redaction.
  const logger = PinoLogger.root;
  if (logger?.isLevelEnabled(level) && !UNLOGGED.has(request.url)) {
    logger[level]({ req: request.raw, res: reply.raw, responseTime: Math.round(reply.elapsedTime) }, 'request completed');
  }
}

/** The line of a request Node could not read (no request to log): what was answered, and to whom. */
export function logUnreadable(status: number, requestId: string, error: NodeJS.ErrnoException, socket: Socket): void {
  PinoLogger.root?.warn({ requestId, status, error: error.code ?? error.message, remoteAddress: socket.remoteAddress }, 'request not readable');
}
