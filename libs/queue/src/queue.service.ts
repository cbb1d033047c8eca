import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { Env } from '@hgtrace/config';
import { createRedis } from './redis.js';
import { QUEUE_JOB_OPTIONS, QueueName } from './queue.constants.js';

/**
 * The BullMQ queues of this process, on one fail-fast producer connection. They are closed in the
 * last shutdown phase, after workers have drained (JobWorkers closes them in onModuleDestroy).
 */
@Injectable()
export class QueueService implements OnApplicationShutdown {
  private readonly queues = new Map<string, Queue>();
  private connection?: Redis;

  constructor(private readonly env: Env) {}

  get redis(): Redis {
    this.connection ??= createRedis(this.env.REDIS_URL, 'producer');
    return this.connection;
  }

  queue(name: QueueName | string): Queue {
    let queue = this.queues.get(name);
    if (!queue) {
      queue = new Queue(name, {
        connection: this.redis,
        prefix: this.env.QUEUE_PREFIX,
        defaultJobOptions: QUEUE_JOB_OPTIONS[name as QueueName] ?? QUEUE_JOB_OPTIONS[QueueName.Crosscheck],
      });
      queue.on('error', () => undefined);
      this.queues.set(name, queue);
    }
    return queue;
  }

  async ping(): Promise<void> {
    await this.redis.ping();
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.allSettled([...this.queues.values()].map((q) => q.close()));
    this.queues.clear();
    if (this.connection) {
      await this.connection.quit().catch(() => this.connection?.disconnect());
    }
  }
}
