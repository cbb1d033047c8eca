import type { DataSource } from 'typeorm';

/**
 * Runs an outbox job in this process instead of leaving it to a worker, so that the CLI needs no
 * worker, and never does the work a second time beside one. The job's outbox row stays locked while
 * `work` runs, which makes the relay skip it (it claims rows FOR UPDATE SKIP LOCKED), and is deleted
 * in the same transaction once `work` is done. If this process fails or is killed, the transaction
 * rolls back with its connection and the job is left to a worker, which resumes where it stopped.
 *
 * Returns false without running `work` when the relay had already handed the job to BullMQ: a worker
 * is doing it, and the caller follows its progress instead.
 */
export async function runJobInProcess(dataSource: DataSource, jobId: string, work: () => Promise<void>): Promise<boolean> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.startTransaction();
    try {
      // Without SKIP LOCKED: if the relay holds the row, wait for its commit (published) or rollback (still ours to take).
      const claimed: { id: string }[] = await runner.query(`SELECT id FROM outbox WHERE job_id = $1 AND published_at IS NULL FOR UPDATE`, [jobId]);
      if (claimed.length > 0) {
        await work();
        await runner.query(`DELETE FROM outbox WHERE id = $1`, [claimed[0].id]);
      }
      await runner.commitTransaction();
      return claimed.length > 0;
    } catch (error) {
      await runner.rollbackTransaction().catch(() => undefined);
      throw error;
    }
  } finally {
    await runner.release();
  }
}
