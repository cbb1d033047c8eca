import { Module } from '@nestjs/common';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import { LoggerModule } from 'nestjs-pino';
import { AuditModule } from '@hgtrace/audit';
import { AUTH_GUARD, AuthModule } from '@hgtrace/auth';
import { ConfigModule, Env } from '@hgtrace/config';
import { DatabaseModule } from '@hgtrace/database';
import { QueueModule } from '@hgtrace/queue';
import { ReferenceModule } from '@hgtrace/reference';
import { RegistryModule } from '@hgtrace/registry';
import { ConsentsModule } from '@hgtrace/consents';
import { DeclarationsModule } from '@hgtrace/declarations';
import { CrosscheckModule } from '@hgtrace/crosscheck';
import { FlagsModule } from '@hgtrace/flags';
import { ReportsModule } from '@hgtrace/reports';
import { AuditController } from './controllers/audit.controller.js';
import { AuthController } from './controllers/auth.controller.js';
import { ConsentsController } from './controllers/consents.controller.js';
import { DeclarationsController } from './controllers/declarations.controller.js';
import { ImportsController } from './controllers/imports.controller.js';
import { FlagsController } from './controllers/flags.controller.js';
import { CrosscheckController } from './controllers/crosscheck.controller.js';
import { MirrorController } from './controllers/mirror.controller.js';
import { LicencesController } from './controllers/licences.controller.js';
import { ReferenceController } from './controllers/reference.controller.js';
import { TradersController } from './controllers/traders.controller.js';
import { HealthController } from './controllers/health.controller.js';
import { MetricsController } from './controllers/metrics.controller.js';
import { ReportsController } from './controllers/reports.controller.js';
import { UsersController } from './controllers/users.controller.js';
import { ApiExceptionFilter } from './http/exception.filter.js';
import { LoginRateLimitGuard } from './http/login-rate-limit.guard.js';
import { createValidationPipe } from './http/validation.js';

@Module({
  imports: [
    ConfigModule,
    LoggerModule.forRootAsync({
      inject: [Env],
      useFactory: (env: Env) => ({
        // The logger only: requests are logged by a Fastify hook (http/request-log.ts), not by
        // pino-http as a middleware of every route.
        forRoutes: [],
        pinoHttp: {
          level: env.LOG_LEVEL,
          redact: ['req.headers.authorization', 'req.headers.cookie', 'req.body.password'],
        },
      }),
    }),
    DatabaseModule,
    QueueModule,
    AuditModule,
    AuthModule,
    ReferenceModule,
    RegistryModule,
    ConsentsModule,
    DeclarationsModule,
    CrosscheckModule,
    FlagsModule,
    ReportsModule,
    TerminusModule,
  ],
  // The routes called at rates (health probes; filing and verifying declarations) first. Fastify's
  // router does not depend on the order (Express tried the routes one by one, in this order); no
  // two controllers share a path prefix, so the order changes nothing else.
  controllers: [
    HealthController,
    DeclarationsController,
    AuthController,
    UsersController,
    AuditController,
    ReferenceController,
    TradersController,
    LicencesController,
    ConsentsController,
    ImportsController,
    FlagsController,
    ReportsController,
    CrosscheckController,
    MirrorController,
    MetricsController,
  ],
  providers: [
    AUTH_GUARD,
    { provide: APP_PIPE, useFactory: createValidationPipe },
    { provide: APP_FILTER, useClass: ApiExceptionFilter },
    LoginRateLimitGuard,
  ],
})
export class ApiModule {}
