import 'reflect-metadata';
import type { IncomingMessage } from 'node:http';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Logger } from 'nestjs-pino';
import { UsersService } from '@hgtrace/auth';
import { loadEnv } from '@hgtrace/config';
import { migrate } from '@hgtrace/database';
import { loadReferenceData } from '@hgtrace/reference';
import { ApiModule } from './api.module.js';
import { createApiFastifyAdapter } from './http/api-fastify.adapter.js';
import { recordHttpMetrics } from './http/http-metrics.js';
import { parseRequestBodies } from './http/request-bodies.js';
import { logRequests } from './http/request-log.js';
import { requestIdOf } from './http/request-id.js';
import { setUpOpenApi } from './openapi.js';

export interface BootstrapOptions {
  /** Apply migrations first (the api does; tests that migrated once already may skip it). */
  migrate?: boolean;
}

/**
 * Builds the api: validates the environment, creates the database and applies migrations under an
 * advisory lock, loads the reference data, creates the first admin, and sets up the HTTP pipeline. Returns the app without
 * listening, so that main() listens and the e2e tests drive it with supertest.
 *
 * The HTTP server is Fastify: on Express, routing, the response and the middleware chain cost about
 * 0.25 ms of CPU per verify request (0.55-0.7 ms in all), on Fastify about 0.05 ms (bench/README.md).
 */
export async function bootstrap(options: BootstrapOptions = {}): Promise<INestApplication> {
  const env = loadEnv();
  if (options.migrate !== false) await migrate(env, loadReferenceData);
  // Answers Fastify gives before any hook runs get the security headers and the request id too (api-fastify.adapter.ts).
  const adapter = createApiFastifyAdapter({
    trustProxy: 'loopback,linklocal,uniquelocal',
    bodyLimit: env.BODY_LIMIT_BYTES,
    // The id is assigned before anything else runs, so that every error and log line carries it.
    // It is also kept on the Node request, whose serialiser logs it (request-log.ts).
    requestIdHeader: false,
    genReqId: (request: IncomingMessage) => ((request as { id?: string }).id = requestIdOf(request)),
    // Path parameters of any length reach the validators, which name them (Fastify's router refuses
    // those over 100 characters with 414); Node's limit on the request head (16 KB) bounds them.
    // Paths match whatever their letter case and with a trailing slash, as they did on Express
    // (parameters keep their case).
    routerOptions: { maxParamLength: 16 * 1024, ignoreTrailingSlash: true, caseSensitive: false },
  });
  const fastify = adapter.getInstance();
  // The first hook, so that every answer carries it.
  fastify.addHook('onRequest', (request, reply, done) => {
    reply.header('X-Request-Id', request.id);
    done();
  });
  recordHttpMetrics(fastify);
  logRequests(fastify);
  // Only JSON bodies are parsed; a CSV upload is streamed to its controller as it comes
  // (imports.controller.ts), and any other type is answered 415.
  parseRequestBodies(fastify, env.BODY_LIMIT_BYTES);
  const app = await NestFactory.create<NestFastifyApplication>(ApiModule, adapter, { bufferLogs: true, bodyParser: false });
  app.useLogger(app.get(Logger));
  app.useSecurityHeaders();
  app.setGlobalPrefix('api/v1', { exclude: ['health/{*path}', 'metrics'] });
  app.enableShutdownHooks();
  if (env.OPENAPI_ENABLED) setUpOpenApi(app);
  await app.init();
  await fastify.ready();
  await app.get(UsersService).ensureFirstAdmin();
  return app;
}
