import { parse } from 'csv-parse/sync';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { DataSource, EntityManager } from 'typeorm';

export const MERCURY_CLASSES = ['mercury', 'compound', 'product', 'cover', 'other'] as const;
export type MercuryClass = (typeof MERCURY_CLASSES)[number];

/** The folder of the shipped CSV files (libs/reference/data), found from the package root in source and build alike. */
export function referenceDataDir(): string {
  let dir = import.meta.dirname;
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find the hgtrace package root from ' + import.meta.dirname);
    dir = parent;
  }
  return join(dir, 'libs', 'reference', 'data');
}

function readCsv(file: string): Record<string, string>[] {
  return parse(readFileSync(join(referenceDataDir(), file)), { columns: true, skip_empty_lines: true, trim: true });
}

/**
 * Loads the shipped reference data (every ISO 3166-1 country with its Minamata date, the HS codes
 * hgtrace cares about with their mercury class) into the database. Idempotent: rows are upserted, so
 * a release that corrects a date updates it at the next start. Sources: libs/reference/data/SOURCES.md.
 */
export async function loadReferenceData(db: DataSource | EntityManager): Promise<{ countries: number; hsCodes: number }> {
  const countries = readCsv('countries.csv');
  const hsCodes = readCsv('hs-codes.csv');
  await db.query(
    `INSERT INTO countries (code, name, minamata_party_since, source)
     SELECT * FROM unnest($1::char(2)[], $2::text[], $3::date[], $4::text[])
     ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, minamata_party_since = EXCLUDED.minamata_party_since, source = EXCLUDED.source
       WHERE (countries.name, countries.minamata_party_since, countries.source) IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.minamata_party_since, EXCLUDED.source)`,
    [countries.map((c) => c.code), countries.map((c) => c.name), countries.map((c) => c.minamata_party_since || null), countries.map((c) => c.source || null)],
  );
  await db.query(
    `INSERT INTO hs_codes (code, description, mercury_class)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[])
     ON CONFLICT (code) DO UPDATE SET description = EXCLUDED.description, mercury_class = EXCLUDED.mercury_class
       WHERE (hs_codes.description, hs_codes.mercury_class) IS DISTINCT FROM (EXCLUDED.description, EXCLUDED.mercury_class)`,
    [hsCodes.map((h) => h.code), hsCodes.map((h) => h.description), hsCodes.map((h) => h.mercury_class)],
  );
  return { countries: countries.length, hsCodes: hsCodes.length };
}
