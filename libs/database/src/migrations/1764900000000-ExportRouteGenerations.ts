import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A generation per route of exports (declaring country, partner), raised in the transaction of every
 * change to an export of the route that the pair check reads of its rivals: one filed, deleted, or
 * updated in its flow, countries, date, names, mass or status. A cross-check run keeps the exports of
 * each route in memory from one chunk to the next (RouteExports) for as long as the route's generation
 * is the one it read them at. The row is updated, not a sequence drawn, so that a change counts only
 * once it commits: a run that reads the generation before the exports never keeps rows older than the
 * generation it holds. Filings already queue for the audit chain's head after their declarations are
 * written; the routes' rows are taken in one statement, in key order, before it.
 */
export class ExportRouteGenerations1764900000000 implements MigrationInterface {
  name = 'ExportRouteGenerations1764900000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE export_route_generations (
        country character(2) NOT NULL,
        partner_country character(2) NOT NULL,
        generation bigint NOT NULL DEFAULT 1,
        PRIMARY KEY (country, partner_country)
      );

      CREATE FUNCTION hg_export_routes_changed_rows() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'DELETE' THEN
          INSERT INTO export_route_generations AS g (country, partner_country)
          SELECT DISTINCT country, partner_country FROM gone WHERE flow = 'export' ORDER BY 1, 2
          ON CONFLICT (country, partner_country) DO UPDATE SET generation = g.generation + 1;
        ELSE
          INSERT INTO export_route_generations AS g (country, partner_country)
          SELECT DISTINCT country, partner_country FROM added WHERE flow = 'export' ORDER BY 1, 2
          ON CONFLICT (country, partner_country) DO UPDATE SET generation = g.generation + 1;
        END IF;
        RETURN NULL;
      END $$;

      CREATE FUNCTION hg_export_routes_changed_row() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO export_route_generations AS g (country, partner_country)
        SELECT DISTINCT r.country, r.partner_country
          FROM (VALUES (OLD.country, OLD.partner_country, OLD.flow), (NEW.country, NEW.partner_country, NEW.flow)) AS r (country, partner_country, flow)
         WHERE r.flow = 'export' ORDER BY 1, 2
        ON CONFLICT (country, partner_country) DO UPDATE SET generation = g.generation + 1;
        RETURN NULL;
      END $$;

      CREATE TRIGGER declarations_export_routes_insert AFTER INSERT ON declarations
        REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION hg_export_routes_changed_rows();
      CREATE TRIGGER declarations_export_routes_delete AFTER DELETE ON declarations
        REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION hg_export_routes_changed_rows();
      -- Per row, since a trigger on named columns cannot have transition tables: amendments and
      -- cancellations change one declaration at a time, and the checks' and runs' marks name none of these.
      CREATE TRIGGER declarations_export_routes_update
        AFTER UPDATE OF flow, country, partner_country, date, trader_name, counterparty_name, total_net_mass_kg, status ON declarations
        FOR EACH ROW WHEN (OLD.flow = 'export' OR NEW.flow = 'export') EXECUTE FUNCTION hg_export_routes_changed_row();
    `);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`
      DROP TRIGGER declarations_export_routes_update ON declarations;
      DROP TRIGGER declarations_export_routes_delete ON declarations;
      DROP TRIGGER declarations_export_routes_insert ON declarations;
      DROP FUNCTION hg_export_routes_changed_row();
      DROP FUNCTION hg_export_routes_changed_rows();
      DROP TABLE export_route_generations;
    `);
  }
}
