import type pg from 'pg';

/** Reporting countries of the generated trade: all Minamata Parties, so that every import can miss its export. */
const COUNTRIES = ['MX', 'BO', 'PE', 'CO', 'BR', 'AR', 'CL', 'EC', 'US', 'CA', 'UY', 'PY'];

/**
 * Generates `count` declarations in SQL (seconds, not minutes): `count / 2` shipments, each an export
 * and, mostly, the partner's import of it under the same transport document, with anomalies mixed in
 * so that a cross-check has flags to raise:
 *  - every 10th shipment has no import, and an unrelated import from the same partner with no export
 *    behind it (NO_MATCHING_IMPORT, NO_MATCHING_EXPORT);
 *  - imports off in mass (every 17th), counterparty (23rd), date (29th) or HS code (31st);
 *  - every 4th is metallic mercury with no licence or consent on file (compliance flags).
 * The data depends only on `count`, never on randomness. No outbox rows are written: only the run under
 * test checks these declarations.
 */
export async function seedShipments(pool: pg.Pool, count: number, prefix = 'FX'): Promise<void> {
  const shipments = Math.floor(count / 2);
  const db = await pool.connect();
  await db.query('BEGIN');
  try {
    await db.query(
      `CREATE TEMP TABLE shipments AS
       SELECT k,
              c[1 + k % n] AS exporter,
              c[1 + (k % n + 1 + (k / n) % (n - 1)) % n] AS importer,
              DATE '2025-01-01' + (k * 7 % 540) AS day,
              CASE WHEN k % 4 = 0 THEN '280540' ELSE '853931' END AS hs,
              (100 + k % 900)::numeric AS kg
         FROM generate_series(1, $1::int) k, (SELECT $2::text[] AS c, cardinality($2::text[]) AS n) countries`,
      [shipments, COUNTRIES],
    );
    const declarations = `
      -- The exports.
      SELECT s.k, 1 AS line, s.exporter AS country, $1 || '-' || s.k || '-E' AS number, 'export' AS flow, s.day AS date,
             s.exporter || '-TR-' || (s.k % 40) AS trader_id, 'Exportadora ' || s.exporter || ' ' || (s.k % 40) || ' SA' AS trader_name,
             'Importadora ' || s.importer || ' ' || (s.k % 40) || ' SA' AS counterparty_name, s.importer AS counterparty_country, s.importer AS partner,
             s.exporter AS origin, 'FXDOC' || lpad(s.k::text, 8, '0') AS document, s.hs, s.kg
        FROM shipments s
      UNION ALL
      -- Their imports, some with anomalies; every 10th shipment has none.
      SELECT s.k, 1, s.importer, $1 || '-' || s.k || '-I', 'import', s.day + CASE WHEN s.k % 29 = 0 THEN -10 ELSE s.k % 20 END,
             s.importer || '-TR-' || (s.k % 40), 'Importadora ' || s.importer || ' ' || (s.k % 40) || ' SA',
             CASE WHEN s.k % 23 = 0 THEN 'Quimicos Zeta Holdings ' || s.k ELSE 'Exportadora ' || s.exporter || ' ' || (s.k % 40) || ' SA' END, s.exporter, s.exporter,
             s.exporter, 'FXDOC' || lpad(s.k::text, 8, '0'), CASE WHEN s.k % 31 = 0 THEN '285210' ELSE s.hs END,
             CASE WHEN s.k % 17 = 0 THEN s.kg * 1.3 ELSE s.kg END
        FROM shipments s WHERE s.k % 10 <> 0
      UNION ALL
      -- In their place, imports with no export behind them.
      SELECT s.k, 1, s.importer, $1 || '-' || s.k || '-O', 'import', s.day, s.importer || '-TR-' || (s.k % 40), 'Importadora ' || s.importer || ' ' || (s.k % 40) || ' SA',
             'Proveedor Desconocido ' || s.k, s.exporter, s.exporter, s.exporter, 'ORPHAN' || lpad(s.k::text, 8, '0'), s.hs, s.kg
        FROM shipments s WHERE s.k % 10 = 0`;
    await db.query(
      `CREATE TEMP TABLE generated AS SELECT gen_random_uuid() AS id, g.* FROM (${declarations}) g`,
      [prefix],
    );
    await db.query(
      `INSERT INTO declarations (id, country, number, flow, date, trader_national_id, trader_name, counterparty_name, counterparty_country, partner_country,
                                 origin_country, transport_document, transport_mode, total_net_mass_kg, total_value_usd, content_hash, source)
       SELECT id, country, number, flow, date, trader_id, trader_name, counterparty_name, counterparty_country, partner, origin, document, 'sea', kg, kg * 40,
              md5(number), 'system'
         FROM generated`,
    );
    await db.query(
      `INSERT INTO declaration_items (declaration_id, line, hs_code, net_mass_kg, value_usd, description)
       SELECT id, line, hs, kg, kg * 40, 'generated' FROM generated`,
    );
    await db.query(`DROP TABLE generated; DROP TABLE shipments`);
    await db.query('COMMIT');
  } catch (error) {
    await db.query('ROLLBACK');
    throw error;
  } finally {
    db.release();
  }
}
