import { randomUUID } from 'node:crypto';
import { maxHeaderSize, STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import type { FastifyError, FastifyReply, FastifyRequest, FastifyServerOptions } from 'fastify';
import type { ErrorBody } from './exception.filter.js';
import { recordAnswered, recordUnreadable } from './http-metrics.js';
import { logAnswered, logUnreadable } from './request-log.js';

type SecurityHook = Parameters<FastifyAdapter['registerSecurityHook']>[0];
type HeaderTarget = Parameters<SecurityHook>[1];

/**
 * Nest's Fastify adapter, keeping the request hook of `app.useSecurityHeaders()` (handed to every
 * adapter through `registerSecurityHook()`) for the answers that Fastify gives before any hook runs.
 */
class ApiFastifyAdapter extends FastifyAdapter {
  private securityHeadersHook?: SecurityHook;

  override registerSecurityHook(hook: SecurityHook): void {
    this.securityHeadersHook = hook;
    super.registerSecurityHook(hook);
  }

  /** Sets the security headers on `response`, as the hook does on every answer that reaches Fastify's hooks. */
  setSecurityHeaders(request: FastifyRequest | undefined, response: HeaderTarget): void {
    try {
      // The request is refused either way: an error the hook returns (a CSRF refusal) is not needed.
      this.securityHeadersHook?.(request as FastifyRequest, response);
    } catch {
      // Nor is one it throws: the request of a framework error has no params or query, and a client error none at all.
    }
  }
}

/**
 * The api's Fastify adapter. Two kinds of answer are given before any Fastify hook runs, so without
 * this they carried neither the security headers nor the request id:
 * - a URL the router cannot decode (a lone '%'), or a constraint it cannot evaluate, is a framework
 *   error, which the exception filter answers (through the error handler Nest sets; the adapter's
 *   own handler would let Fastify answer it with a body of its own);
 * - a request Node cannot parse (headers over its limit, a malformed head, a head that does not
 *   arrive in time) is a client error, answered on the socket with the error body of API.md.
 */
export function createApiFastifyAdapter(options: FastifyServerOptions): FastifyAdapter {
  const adapter: ApiFastifyAdapter = new ApiFastifyAdapter({
    ...options,
    frameworkErrors: (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
      adapter.setSecurityHeaders(request, reply.raw);
      reply.header('X-Request-Id', request.id);
      // No onResponse hook runs for these: logged and timed as the hooks do every other answer.
      reply.raw.once('finish', () => {
        recordAnswered(request, reply);
        logAnswered(request, reply);
      });
      return adapter.getInstance().errorHandler(error, request, reply);
    },
    clientErrorHandler: (error, socket) => answerClientError(adapter, error, socket),
  });
  return adapter;
}

/** What Fastify's own client error handler answers, with the error body, a request id and the security headers. */
function answerClientError(adapter: ApiFastifyAdapter, error: NodeJS.ErrnoException, socket: Socket): void {
  // A connection reset, or a socket already gone: there is no one to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [statusCode, message] =
    error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? [408, 'The request did not arrive in time']
    : error.code === 'HPE_HEADER_OVERFLOW' ? [431, `The request head is larger than the ${maxHeaderSize} bytes allowed`]
    : [400, 'The request is not valid HTTP'];
  const requestId = randomUUID();
  const body: ErrorBody = { statusCode, code: 'BAD_REQUEST', message, details: [], requestId };
  const json = JSON.stringify(body);
  const headers = new Map<string, string>();
  adapter.setSecurityHeaders(undefined, {
    setHeader: (name, value) => headers.set(name.toLowerCase(), value),
    removeHeader: (name) => headers.delete(name.toLowerCase()),
  });
  headers.set('x-request-id', requestId);
  headers.set('content-type', 'application/json; charset=utf-8');
  headers.set('content-length', String(Buffer.byteLength(json)));
  headers.set('connection', 'close');
  if (socket.writable) {
    const head = [`HTTP/1.1 ${statusCode} ${STATUS_CODES[statusCode]}`, ...[...headers].map(([name, value]) => `${name}: ${value}`)].join('\r\n');
    socket.write(`${head}\r\n\r\n${json}`);
    recordUnreadable(statusCode);
    logUnreadable(statusCode, requestId, error, socket);
  }
  socket.destroy(error);
}
