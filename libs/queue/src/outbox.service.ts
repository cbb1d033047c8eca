import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { JOB_QUEUE, type JobName, type JobRequest } from './queue.constants.js';

/**
 * Writes jobs to the outbox table, inside the caller's transaction: the write that needs a follow-up
 * job and the job itself commit or roll back together. The worker's relay publishes them to BullMQ.
 */
@Injectable()
export class OutboxService {
  async enqueue<N extends JobName>(manager: EntityManager, ...jobs: JobRequest<N>[]): Promise<void> {
    if (jobs.length === 0) return;
    const values: unknown[] = [];
    const rows = jobs.map((job, i) => {
      values.push(JOB_QUEUE[job.name], job.name, job.id, JSON.stringify(job.payload));
      return `($${i * 4 + 1}, $${i * 4 + 2}, $${i * 4 + 3}, $${i * 4 + 4}::jsonb)`;
    });
    await manager.query(`INSERT INTO outbox (queue, job_name, job_id, payload) VALUES ${rows.join(', ')}`, values);
  }
}
