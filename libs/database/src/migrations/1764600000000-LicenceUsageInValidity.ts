import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What a licence's ceiling has used, kept on the licence. The rules count against a licence only the
 * declarations dated within its validity, and verify, checks and runs summed those usages every time,
 * joining each to its declaration for the date: at 100,000 declarations that was most of a verify's
 * database time, and it grows with the history. Each usage now carries its declaration's date (a
 * declaration's date changes only by amendment, which replaces its usages), and statement-level
 * triggers keep `licences.used_in_validity_kg` current as usages are inserted and deleted, under the
 * licence row lock filings and cancellations already take. `used_quantity_kg` (every usage) is
 * unchanged.
 */
export class LicenceUsageInValidity1764600000000 implements MigrationInterface {
  name = 'LicenceUsageInValidity1764600000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      ALTER TABLE licence_usages ADD COLUMN declaration_date date;
      UPDATE licence_usages u SET declaration_date = d.date FROM declarations d WHERE d.id = u.declaration_id;
      ALTER TABLE licence_usages ALTER COLUMN declaration_date SET NOT NULL;

      ALTER TABLE licences ADD COLUMN used_in_validity_kg numeric(18, 3) NOT NULL DEFAULT 0 CHECK (used_in_validity_kg >= 0);
      UPDATE licences l SET used_in_validity_kg = s.kg
        FROM (SELECT u.licence_id, sum(u.quantity_kg) AS kg FROM licence_usages u JOIN licences x ON x.id = u.licence_id
               WHERE u.declaration_date BETWEEN x.valid_from AND x.valid_to GROUP BY u.licence_id) s
       WHERE l.id = s.licence_id;

      CREATE FUNCTION licence_usages_in_validity() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'INSERT' THEN
          UPDATE licences l SET used_in_validity_kg = l.used_in_validity_kg + s.kg
            FROM (SELECT n.licence_id, sum(n.quantity_kg) AS kg FROM usages_added n JOIN licences x ON x.id = n.licence_id
                   WHERE n.declaration_date BETWEEN x.valid_from AND x.valid_to GROUP BY n.licence_id) s
           WHERE l.id = s.licence_id;
        ELSE
          UPDATE licences l SET used_in_validity_kg = l.used_in_validity_kg - s.kg
            FROM (SELECT o.licence_id, sum(o.quantity_kg) AS kg FROM usages_removed o JOIN licences x ON x.id = o.licence_id
                   WHERE o.declaration_date BETWEEN x.valid_from AND x.valid_to GROUP BY o.licence_id) s
           WHERE l.id = s.licence_id;
        END IF;
        RETURN NULL;
      END $$;
      CREATE TRIGGER licence_usages_added AFTER INSERT ON licence_usages REFERENCING NEW TABLE AS usages_added
        FOR EACH STATEMENT EXECUTE FUNCTION licence_usages_in_validity();
      CREATE TRIGGER licence_usages_removed AFTER DELETE ON licence_usages REFERENCING OLD TABLE AS usages_removed
        FOR EACH STATEMENT EXECUTE FUNCTION licence_usages_in_validity();
      -- A usage is never changed in place: it is deleted and inserted again.
      CREATE FUNCTION licence_usages_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'licence usages are inserted and deleted, never updated' USING ERRCODE = 'restrict_violation';
      END $$;
      CREATE TRIGGER licence_usages_no_update BEFORE UPDATE ON licence_usages FOR EACH ROW EXECUTE FUNCTION licence_usages_immutable();
    `);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`
      DROP TRIGGER licence_usages_no_update ON licence_usages;
      DROP TRIGGER licence_usages_removed ON licence_usages;
      DROP TRIGGER licence_usages_added ON licence_usages;
      DROP FUNCTION licence_usages_immutable();
      DROP FUNCTION licence_usages_in_validity();
      ALTER TABLE licences DROP COLUMN used_in_validity_kg;
      ALTER TABLE licence_usages DROP COLUMN declaration_date;
    `);
  }
}
