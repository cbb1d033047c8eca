import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Cross-check runs over a date range, with their progress, so that a run cut short resumes. */
export class CrosscheckRuns1764201600000 implements MigrationInterface {
  name = 'CrosscheckRuns1764201600000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE crosscheck_runs (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        status text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'completed', 'failed')),
        date_from date,
        date_to date,
        countries text[],
        as_of date NOT NULL,
        total integer NOT NULL DEFAULT 0,
        done integer NOT NULL DEFAULT 0,
        -- The last declaration id re-checked: a run resumes after it.
        last_id uuid,
        flags_before integer NOT NULL DEFAULT 0,
        flags_raised integer NOT NULL DEFAULT 0,
        requested_by uuid,
        failure text,
        created_at timestamptz NOT NULL DEFAULT now(),
        started_at timestamptz,
        finished_at timestamptz
      );
    `);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE crosscheck_runs`);
  }
}
