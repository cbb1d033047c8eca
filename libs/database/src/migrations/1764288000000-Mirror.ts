import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Mirror statistics: what each country reports exporting to a partner against what the partner
 * reports importing from it, per HS code and year, from declarations and from UN Comtrade bulk
 * records (for countries and years that file no declarations into hgtrace). Runs get a phase, so a
 * set-based run resumes in the phase it was cut off in.
 */
export class Mirror1764288000000 implements MigrationInterface {
  name = 'Mirror1764288000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE comtrade_records (
        reporter char(2) NOT NULL,
        partner char(2) NOT NULL,
        flow text NOT NULL CHECK (flow IN ('export', 'import')),
        year integer NOT NULL CHECK (year BETWEEN 1950 AND 2200),
        hs_code text NOT NULL CHECK (hs_code ~ '^[0-9]{6}$'),
        net_mass_kg numeric(16, 3) NOT NULL CHECK (net_mass_kg >= 0),
        value_usd numeric(18, 2) NOT NULL CHECK (value_usd >= 0),
        source text NOT NULL,
        imported_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (reporter, partner, flow, year, hs_code),
        CHECK (reporter <> partner)
      );

      CREATE TABLE mirror_statistics (
        exporter char(2) NOT NULL,
        importer char(2) NOT NULL,
        year integer NOT NULL,
        hs_code text NOT NULL,
        exported_kg numeric(16, 3),
        imported_kg numeric(16, 3),
        exported_usd numeric(18, 2),
        imported_usd numeric(18, 2),
        export_source text CHECK (export_source IN ('declarations', 'comtrade')),
        import_source text CHECK (import_source IN ('declarations', 'comtrade')),
        computed_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (exporter, importer, year, hs_code)
      );
      CREATE INDEX mirror_statistics_importer_idx ON mirror_statistics (importer, year);

      ALTER TABLE crosscheck_runs
        ADD COLUMN phase text NOT NULL DEFAULT 'compliance' CHECK (phase IN ('compliance', 'pairs', 'statistics', 'done'));

      -- A run walks the declarations of a date range for every country.
      CREATE INDEX declarations_date_idx ON declarations (date, id);
    `);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`
      DROP INDEX declarations_date_idx;
      ALTER TABLE crosscheck_runs DROP COLUMN phase;
      DROP TABLE mirror_statistics;
      DROP TABLE comtrade_records;
    `);
  }
}
