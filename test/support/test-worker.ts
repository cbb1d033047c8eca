import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { type JobHandler, JobInbox } from '@hgtrace/queue';
import { startWorker } from '../../apps/worker/src/bootstrap.js';

/**
 * The real worker (startWorker of apps/worker) with one extra job, for the platform's delivery tests:
 * it records an attempt, then, through the job inbox, an effect that takes `workMs` to commit.
 */
export const TEST_QUEUE = 'platform-test';
export const TEST_JOB = 'record-effect';

@Injectable()
class RecordEffectHandler implements JobHandler<{ key: string; workMs: number }> {
  readonly queue = TEST_QUEUE;
  readonly name = TEST_JOB;

  constructor(
    private readonly inbox: JobInbox,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  async handle(payload: { key: string; workMs: number }, job: { id: string }): Promise<void> {
    await this.dataSource.query(`INSERT INTO test_job_attempts (key, pid) VALUES ($1, $2)`, [payload.key, process.pid]);
    await this.inbox.once(job.id, this.name, async (manager) => {
      await manager.query(`INSERT INTO test_job_effects (key, pid) VALUES ($1, $2)`, [payload.key, process.pid]);
      await new Promise((resolve) => setTimeout(resolve, payload.workMs));
    });
  }
}

startWorker([RecordEffectHandler]).catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
