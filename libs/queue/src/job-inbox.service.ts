import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';

/**
 * At-most-once effects for at-least-once jobs. BullMQ may deliver a job twice (a worker killed after
 * its work committed, a stalled lock); `once` runs the job's work in a transaction that also records
 * the job id, so a second delivery finds the record and changes nothing. Two deliveries at the same
 * moment serialise on the primary key.
 */
@Injectable()
export class JobInbox {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async once(jobId: string, jobName: string, work: (manager: EntityManager) => Promise<void>): Promise<boolean> {
    return this.dataSource.transaction(async (manager) => {
      const claimed: unknown[] = await manager.query(
        `INSERT INTO job_inbox (job_id, job_name) VALUES ($1, $2) ON CONFLICT (job_id) DO NOTHING RETURNING job_id`,
        [jobId, jobName],
      );
      if (claimed.length === 0) return false;
      await work(manager);
      return true;
    });
  }
}
