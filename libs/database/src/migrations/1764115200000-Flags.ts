import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Matches between export and import declarations, and flags: one per rule and subject, so that a
 * check that runs again never duplicates one; with their history and comments.
 */
export class Flags1764115200000 implements MigrationInterface {
  name = 'Flags1764115200000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE matches (
        export_id uuid NOT NULL REFERENCES declarations (id) ON DELETE CASCADE,
        import_id uuid NOT NULL REFERENCES declarations (id) ON DELETE CASCADE,
        basis text NOT NULL CHECK (basis IN ('transport_document', 'container', 'attributes')),
        score numeric(4, 3) NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (export_id, import_id)
      );
      CREATE INDEX matches_import_idx ON matches (import_id);

      CREATE TABLE flags (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        code text NOT NULL,
        -- What the flag is about: 'declaration:<id>', 'pair:<export>:<import>', 'mirror:<exp>:<imp>:<hs>:<year>'.
        subject text NOT NULL,
        severity text NOT NULL CHECK (severity IN ('high', 'medium', 'low')),
        score numeric(5, 3) NOT NULL,
        status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'in_review', 'confirmed', 'dismissed')),
        summary text NOT NULL,
        countries text[] NOT NULL,
        declaration_ids uuid[] NOT NULL DEFAULT '{}',
        evidence jsonb NOT NULL DEFAULT '{}',
        -- False once the rule no longer holds (an amendment, a cancellation); kept for the record.
        holds boolean NOT NULL DEFAULT true,
        assignee_id uuid REFERENCES users (id),
        version integer NOT NULL DEFAULT 1,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT flags_code_subject_key UNIQUE (code, subject)
      );
      CREATE INDEX flags_countries_idx ON flags USING gin (countries);
      CREATE INDEX flags_declarations_idx ON flags USING gin (declaration_ids);
      CREATE INDEX flags_created_idx ON flags (created_at DESC, id DESC);

      CREATE TABLE flag_history (
        id bigserial PRIMARY KEY,
        flag_id uuid NOT NULL REFERENCES flags (id) ON DELETE CASCADE,
        action text NOT NULL,
        from_status text,
        to_status text,
        reason text,
        actor_id uuid,
        actor text NOT NULL,
        at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX flag_history_flag_idx ON flag_history (flag_id, id);

      CREATE TABLE flag_comments (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        flag_id uuid NOT NULL REFERENCES flags (id) ON DELETE CASCADE,
        author_id uuid,
        author text NOT NULL,
        text text NOT NULL CHECK (length(text) BETWEEN 1 AND 10000),
        created_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX flag_comments_flag_idx ON flag_comments (flag_id, created_at);
    `);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE flag_comments; DROP TABLE flag_history; DROP TABLE flags; DROP TABLE matches;`);
  }
}
