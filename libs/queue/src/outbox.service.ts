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
    // One JSON parameter for the lot (a batch queues a job per declaration), inserted in the order given.
    const rows = jobs.map((job) => ({ queue: JOB_QUEUE[job.name], job_name: job.name, job_id: job.id, payload: job.payload }));
    await manager.query(
      `INSERT INTO outbox (queue, job_name, job_id, payload)
       SELECT j.queue, j.job_name, j.job_id, j.payload
         FROM ROWS FROM (jsonb_to_recordset($1::jsonb) AS (queue text, job_name text, job_id text, payload jsonb)) WITH ORDINALITY AS j(queue, job_name, job_id, payload, ord)
        ORDER BY j.ord`,
      [JSON.stringify(rows)],
    );
  }
}
