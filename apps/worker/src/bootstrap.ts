import 'reflect-metadata';
import type { INestApplicationContext, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { loadEnv } from '@hgtrace/config';
import { waitForSchema } from '@hgtrace/database';
import { type JobHandler, JobName, JobWorkers, OutboxRelay, QueueName, QueueService } from '@hgtrace/queue';
import { WorkerModule } from './worker.module.js';

/**
 * Starts a worker: waits for the api to have applied migrations (a worker never migrates), then
 * runs the outbox relay and the BullMQ workers. On SIGTERM or SIGINT it stops the relay, lets the
 * running jobs finish (drain), then closes queues and connections; a job cut short by SIGKILL is
 * found stalled by BullMQ and run again, and the job inbox keeps its effects from applying twice.
 */
export async function startWorker(extraHandlers: Type<JobHandler>[] = []): Promise<INestApplicationContext> {
  const env = loadEnv();
  await waitForSchema(env);
  const app = await NestFactory.createApplicationContext(WorkerModule.register(extraHandlers), { bufferLogs: true });
  app.useLogger(app.get(Logger));
  const logger = app.get(Logger);

  let stopping: Promise<void> | undefined;
  const shutdown = (signal: string) => {
    if (stopping) return;
    logger.log(`${signal}: finishing running jobs, then stopping`);
    const timer = setTimeout(() => {
      logger.error(`jobs did not finish within ${env.SHUTDOWN_TIMEOUT_MS} ms; exiting`);
      process.exit(1);
    }, env.SHUTDOWN_TIMEOUT_MS);
    timer.unref();
    stopping = (async () => {
      await app.get(OutboxRelay).stop();
      await app.get(JobWorkers).drain();
      await app.close();
      logger.log('stopped');
    })();
    stopping.then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error(`shutdown failed: ${(error as Error).message}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));

  app.get(JobWorkers).start();
  app.get(OutboxRelay).start();
  // The sweep's schedule lives in Redis, once for all workers; upserting it again changes nothing.
  await app
    .get(QueueService)
    .queue(QueueName.Runs)
    .upsertJobScheduler('scheduled-sweep', { pattern: env.CROSSCHECK_SCHEDULE, tz: 'UTC' }, { name: JobName.Sweep, data: {} })
    .catch((error: unknown) => logger.warn(`cannot schedule the sweep now (${(error as Error).message}); the next worker start will`));
  logger.log(`worker ${process.pid} started`);
  return app;
}
