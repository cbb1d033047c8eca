import { type DynamicModule, Module, type Type } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { AuditModule } from '@hgtrace/audit';
import { ConfigModule, Env } from '@hgtrace/config';
import { DatabaseModule } from '@hgtrace/database';
import { DeclarationsModule } from '@hgtrace/declarations';
import { JOB_HANDLERS, type JobHandler, JobWorkers, OutboxRelay, QueueModule } from '@hgtrace/queue';
import { ReferenceModule } from '@hgtrace/reference';
import { ImportDeclarationsProcessor } from './processors/import-declarations.processor.js';
import { CheckDeclarationProcessor } from './processors/check-declaration.processor.js';
import { CrosscheckRunProcessor, SweepProcessor } from './processors/crosscheck-run.processor.js';
import { CrosscheckModule } from '@hgtrace/crosscheck';

/**
 * The worker process: the outbox relay and the BullMQ workers. Processors are thin classes that
 * implement JobHandler and call one service; they are listed here.
 */
@Module({})
export class WorkerModule {
  static register(extraHandlers: Type<JobHandler>[] = []): DynamicModule {
    const handlerClasses: Type<JobHandler>[] = [ImportDeclarationsProcessor, CheckDeclarationProcessor, CrosscheckRunProcessor, SweepProcessor, ...extraHandlers];
    return {
      module: WorkerModule,
      imports: [
        ConfigModule,
        LoggerModule.forRootAsync({ inject: [Env], useFactory: (env: Env) => ({ pinoHttp: { level: env.LOG_LEVEL } }) }),
        DatabaseModule,
        QueueModule,
        AuditModule,
        ReferenceModule,
        DeclarationsModule,
        CrosscheckModule,
      ],
      providers: [
        ...handlerClasses,
        {
          provide: JOB_HANDLERS,
          inject: handlerClasses,
          useFactory: (...handlers: JobHandler[]) => handlers,
        },
        OutboxRelay,
        JobWorkers,
      ],
    };
  }
}
