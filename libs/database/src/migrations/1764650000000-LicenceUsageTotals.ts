import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A licence's `used_quantity_kg` (every usage, within its validity or not) kept by the same
 * statement-level triggers as `used_in_validity_kg`. Filings, amendments and cancellations recomputed
 * it by summing every usage of the licence after each change, a cost that grew with the licence's
 * history (a large trader's yearly licence holds tens of thousands of usages). The triggers run under
 * the licence row lock those writers already take, in id order.
 */
export class LicenceUsageTotals1764650000000 implements MigrationInterface {
  name = 'LicenceUsageTotals1764650000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE OR REPLACE FUNCTION licence_usages_in_validity() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'INSERT' THEN
          UPDATE licences l SET used_quantity_kg = l.used_quantity_kg + s.kg, used_in_validity_kg = l.used_in_validity_kg + s.in_validity_kg
            FROM (SELECT n.licence_id, sum(n.quantity_kg) AS kg,
                         coalesce(sum(n.quantity_kg) FILTER (WHERE n.declaration_date BETWEEN x.valid_from AND x.valid_to), 0) AS in_validity_kg
                    FROM usages_added n JOIN licences x ON x.id = n.licence_id GROUP BY n.licence_id) s
           WHERE l.id = s.licence_id;
        ELSE
          UPDATE licences l SET used_quantity_kg = l.used_quantity_kg - s.kg, used_in_validity_kg = l.used_in_validity_kg - s.in_validity_kg
            FROM (SELECT o.licence_id, sum(o.quantity_kg) AS kg,
                         coalesce(sum(o.quantity_kg) FILTER (WHERE o.declaration_date BETWEEN x.valid_from AND x.valid_to), 0) AS in_validity_kg
                    FROM usages_removed o JOIN licences x ON x.id = o.licence_id GROUP BY o.licence_id) s
           WHERE l.id = s.licence_id;
        END IF;
        RETURN NULL;
      END $$;
      UPDATE licences l SET used_quantity_kg = coalesce((SELECT sum(u.quantity_kg) FROM licence_usages u WHERE u.licence_id = l.id), 0)
       WHERE used_quantity_kg IS DISTINCT FROM coalesce((SELECT sum(u.quantity_kg) FROM licence_usages u WHERE u.licence_id = l.id), 0);
    `);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE OR REPLACE FUNCTION licence_usages_in_validity() RETURNS trigger LANGUAGE plpgsql AS $$
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
    `);
  }
}
