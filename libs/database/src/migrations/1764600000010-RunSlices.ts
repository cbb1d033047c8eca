import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A run walks each phase in slices of the id space at once (RUN_CONCURRENCY), each slice with its own
 * resume point. The number of slices is fixed when the run starts, so a run resumed by a worker with
 * another setting walks the same slices. A run under way keeps its single resume point as one slice.
 */
export class RunSlices1764600000010 implements MigrationInterface {
  name = 'RunSlices1764600000010';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      ALTER TABLE crosscheck_runs ADD COLUMN slices integer NOT NULL DEFAULT 1 CHECK (slices BETWEEN 1 AND 64);
      -- The last declaration id re-checked in each slice of the current phase (NULL: not started).
      ALTER TABLE crosscheck_runs ADD COLUMN slice_last_ids uuid[];
      UPDATE crosscheck_runs SET slice_last_ids = ARRAY[last_id] WHERE last_id IS NOT NULL;
      ALTER TABLE crosscheck_runs DROP COLUMN last_id;
    `);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`
      ALTER TABLE crosscheck_runs ADD COLUMN last_id uuid;
      UPDATE crosscheck_runs SET last_id = slice_last_ids[1] WHERE slices = 1;
      ALTER TABLE crosscheck_runs DROP COLUMN slice_last_ids, DROP COLUMN slices;
    `);
  }
}
