import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The version of the registries as verify sees them: traders, licences (but their used quantities),
 * their status changes and consents (but their drawn quantities). Statement triggers set it, in the
 * transaction of every change to those rows, to the id of that transaction, which no later
 * transaction shares: the api keeps the registries in memory with the version it read them at, and a
 * verify reads the version in the statement that reads the used quantities, so it uses them only
 * while no change has committed since (VerifyRegistry). A row, not a sequence: a change counts once
 * it commits. The used quantities change with every filing and are not covered: filings never wait
 * for this row.
 */
export class RegistryVersion1765000000000 implements MigrationInterface {
  name = 'RegistryVersion1765000000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE registry_version (
        singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
        version bigint NOT NULL
      );
      INSERT INTO registry_version (singleton, version) VALUES (true, pg_current_xact_id()::text::bigint);

      CREATE FUNCTION hg_registry_changed() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO registry_version (singleton, version) VALUES (true, pg_current_xact_id()::text::bigint)
          ON CONFLICT (singleton) DO UPDATE SET version = EXCLUDED.version;
        RETURN NULL;
      END
      $$;

      CREATE TRIGGER registry_version_traders AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON traders
        FOR EACH STATEMENT EXECUTE FUNCTION hg_registry_changed();
      CREATE TRIGGER registry_version_licence_status_changes AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON licence_status_changes
        FOR EACH STATEMENT EXECUTE FUNCTION hg_registry_changed();
      CREATE TRIGGER registry_version_licences AFTER INSERT OR DELETE OR TRUNCATE ON licences
        FOR EACH STATEMENT EXECUTE FUNCTION hg_registry_changed();
      CREATE TRIGGER registry_version_licences_update
        AFTER UPDATE OF country, trader_id, number, type, hs_codes, max_quantity_kg, valid_from, valid_to, status ON licences
        FOR EACH STATEMENT EXECUTE FUNCTION hg_registry_changed();
      CREATE TRIGGER registry_version_consents AFTER INSERT OR DELETE OR TRUNCATE ON consents
        FOR EACH STATEMENT EXECUTE FUNCTION hg_registry_changed();
      CREATE TRIGGER registry_version_consents_update
        AFTER UPDATE OF reference, type, issuing_country, exporting_country, importing_country, exporter_id, importer_id, hs_codes,
                        quantity_kg, purpose, valid_from, valid_to, non_party_certification, conditions, status, withdrawn_reason, withdrawn_at ON consents
        FOR EACH STATEMENT EXECUTE FUNCTION hg_registry_changed();
    `);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`
      DROP TRIGGER registry_version_consents_update ON consents;
      DROP TRIGGER registry_version_consents ON consents;
      DROP TRIGGER registry_version_licences_update ON licences;
      DROP TRIGGER registry_version_licences ON licences;
      DROP TRIGGER registry_version_licence_status_changes ON licence_status_changes;
      DROP TRIGGER registry_version_traders ON traders;
      DROP FUNCTION hg_registry_changed();
      DROP TABLE registry_version;
    `);
  }
}
