import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * CSV imports of declarations: the uploaded file is kept in PostgreSQL in chunks (so any worker can
 * read it, and nothing is lost if a process dies), processed by a worker, with progress and row
 * errors on the import row.
 */
export class Imports1764028800000 implements MigrationInterface {
  name = 'Imports1764028800000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE imports (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        status text NOT NULL DEFAULT 'uploading' CHECK (status IN ('uploading', 'queued', 'processing', 'completed', 'failed')),
        file_name text,
        size_bytes bigint NOT NULL DEFAULT 0,
        -- Who uploaded it: the import stores declarations on their behalf, within their countries.
        actor jsonb NOT NULL,
        rows_total integer,
        rows_done integer NOT NULL DEFAULT 0,
        created integer NOT NULL DEFAULT 0,
        duplicates integer NOT NULL DEFAULT 0,
        rejected integer NOT NULL DEFAULT 0,
        errors jsonb NOT NULL DEFAULT '[]',
        failure text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        finished_at timestamptz
      );
      CREATE TABLE import_chunks (
        import_id uuid NOT NULL REFERENCES imports (id) ON DELETE CASCADE,
        seq integer NOT NULL,
        data bytea NOT NULL,
        PRIMARY KEY (import_id, seq)
      );
    `);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE import_chunks; DROP TABLE imports;`);
  }
}
