import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { Env } from '@hgtrace/config';
import { createRedis } from './redis.js';

/** A job processor: a few lines that hand the typed payload to one service call. */
export interface JobHandler<P = unknown> {
  readonly queue: string;
  readonly name: string;
  /** Jobs of this name one worker process runs at once, if not WORKER_CONCURRENCY (a queue's worker takes the largest of its handlers'). */
  readonly concurrency?: number;
  handle(payload: P, job: { id: string; attempt: number }): Promise<void>;
}

/** The handlers a worker process runs; the worker app provides them. */
export const JOB_HANDLERS = Symbol('JOB_HANDLERS');

/**
 * The BullMQ workers of a worker process, one per queue that has handlers. On shutdown they stop
 * taking jobs and wait for the running ones to finish (drain) before the queues and connections close.
 */
@Injectable()
export class JobWorkers implements OnModuleDestroy {
  private readonly logger = new Logger(JobWorkers.name);
  private readonly workers: Worker[] = [];
  private readonly connections: Redis[] = [];

  constructor(
    @Inject(JOB_HANDLERS) private readonly handlers: JobHandler[],
    private readonly env: Env,
  ) {}

  start(): void {
    const byQueue = new Map<string, Map<string, JobHandler>>();
    for (const handler of this.handlers) {
      const names = byQueue.get(handler.queue) ?? new Map<string, JobHandler>();
      names.set(handler.name, handler);
      byQueue.set(handler.queue, names);
    }
    for (const [queue, names] of byQueue) {
      const concurrency = Math.max(...[...names.values()].map((h) => h.concurrency ?? this.env.WORKER_CONCURRENCY));
      const connection = createRedis(this.env.REDIS_URL, 'worker');
      this.connections.push(connection);
      const worker = new Worker(
        queue,
        async (job: Job) => {
          const handler = names.get(job.name);
          if (!handler) throw new Error(`no handler for job ${job.name} on queue ${queue}`);
          await handler.handle(job.data, { id: job.id ?? '', attempt: job.attemptsMade + 1 });
        },
        { connection, prefix: this.env.QUEUE_PREFIX, concurrency, lockDuration: this.env.JOB_LOCK_MS, stalledInterval: this.env.JOB_LOCK_MS, maxStalledCount: 3 },
      );
      worker.on('failed', (job, error) => this.logger.warn(`job ${job?.name} ${job?.id} failed (attempt ${job?.attemptsMade}): ${error.message}`));
      worker.on('error', (error) => this.logger.warn(`worker on ${queue}: ${error.message}`));
      this.workers.push(worker);
    }
    this.logger.log(`processing ${[...byQueue.keys()].join(', ') || 'no queues'}`);
  }

  /** Stops taking jobs and waits for the running ones to finish. */
  async drain(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.close()));
    this.workers.length = 0;
    await Promise.all(this.connections.map((c) => c.quit().catch(() => c.disconnect())));
    this.connections.length = 0;
  }

  onModuleDestroy(): Promise<void> {
    return this.drain();
  }
}
