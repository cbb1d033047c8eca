import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import helmet from 'helmet';
import { Logger } from 'nestjs-pino';
import { UsersService } from '@hgtrace/auth';
import { loadEnv } from '@hgtrace/config';
import { migrate } from '@hgtrace/database';
import { loadReferenceData } from '@hgtrace/reference';
import { ApiModule } from './api.module.js';
import { requestId } from './http/request-id.js';
import { setUpOpenApi } from './openapi.js';

export interface BootstrapOptions {
  /** Apply migrations first (the api does; tests that migrated once already may skip it). */
  migrate?: boolean;
}

/**
 * Builds the api: validates the environment, creates the database and applies migrations under an
 * advisory lock, loads the reference data, creates the first admin, and sets up the HTTP pipeline. Returns the app without
 * listening, so that main() listens and the e2e tests drive it with supertest.
 */
export async function bootstrap(options: BootstrapOptions = {}): Promise<INestApplication> {
  const env = loadEnv();
  if (options.migrate !== false) await migrate(env, loadReferenceData);

  const app = await NestFactory.create<NestExpressApplication>(ApiModule, { bufferLogs: true, bodyParser: false });
  app.useLogger(app.get(Logger));
  app.set('trust proxy', 'loopback, linklocal, uniquelocal');
  app.set('query parser', 'simple');
  app.disable('x-powered-by');
  app.use((req: { id?: string } & Parameters<typeof requestId>[0], res: Parameters<typeof requestId>[1], next: () => void) => {
    req.id = requestId(req, res);
    next();
  });
  app.use(helmet());
  app.useBodyParser('json', { limit: env.BODY_LIMIT_BYTES });
  app.setGlobalPrefix('api/v1', { exclude: ['health/{*path}', 'metrics'] });
  app.enableShutdownHooks();
  if (env.OPENAPI_ENABLED) setUpOpenApi(app);

  await app.init();
  await app.get(UsersService).ensureFirstAdmin();
  return app;
}
