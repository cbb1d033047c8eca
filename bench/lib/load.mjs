// Loading the world and generated declarations straight into PostgreSQL: the registries with plain
// INSERTs, declarations with COPY (pg-copy-streams). Rows are first written to files, so that the time
// of a COPY is the database's alone.

import { createReadStream, createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import copyStreams from 'pg-copy-streams';
import { contentHash } from '../../dist/libs/declarations/src/content-hash.js';

const FAMILY = {
  280540: 'mercury', 285210: 'compound', 285290: 'compound',
};
const familyOf = (hs) => FAMILY[hs] ?? 'other';

/** Traders with their names for fuzzy search, licences (with the status history of the suspended and revoked ones), consents. */
export async function seedRegistries(client, world) {
  await client.query('BEGIN');
  await insertMany(client, 'traders', ['id', 'country', 'national_id', 'name', 'address'], world.traders.map((t) => [t.id, t.country, t.nationalId, t.name, t.address]));
  await client.query(`INSERT INTO trader_names (trader_id, name, normalized) SELECT id, name, hg_normalize_name(name) FROM traders`);
  await insertMany(client, 'licences', ['id', 'country', 'trader_id', 'number', 'type', 'hs_codes', 'max_quantity_kg', 'valid_from', 'valid_to', 'status'],
    world.licences.map((l) => [l.id, l.country, l.traderId, l.number, l.type, l.hsCodes, l.maxQuantityKg, l.validFrom, l.validTo, l.status]));
  await insertMany(client, 'licence_status_changes', ['licence_id', 'from_status', 'to_status', 'reason', 'actor'],
    world.statusChanges.map((c) => [c.licenceId, c.from, c.to, c.reason, 'bench']));
  await insertMany(client, 'consents', ['id', 'reference', 'type', 'issuing_country', 'exporting_country', 'importing_country', 'hs_codes', 'quantity_kg', 'purpose', 'valid_from', 'valid_to', 'non_party_certification'],
    world.consents.map((c) => [c.id, c.reference, c.type, c.issuingCountry, c.exportingCountry, c.importingCountry, c.hsCodes, c.quantityKg, c.purpose, c.validFrom, c.validTo, c.nonPartyCertification]));
  await client.query('COMMIT');
}

async function insertMany(client, table, columns, rows) {
  for (let start = 0; start < rows.length; start += 500) {
    const chunk = rows.slice(start, start + 500);
    const params = [];
    const values = chunk.map((row) => `(${row.map((v) => { params.push(v); return `$${params.length}`; }).join(', ')})`);
    await client.query(`INSERT INTO ${table} (${columns.join(', ')}) VALUES ${values.join(', ')}`, params);
  }
}

const TABLES = {
  declarations: ['id', 'country', 'number', 'flow', 'date', 'trader_national_id', 'trader_name', 'trader_id', 'counterparty_name', 'counterparty_country', 'counterparty_address',
    'partner_country', 'origin_country', 'transport_document', 'containers', 'licence_number', 'consent_reference', 'licence_id', 'consent_id', 'transport_mode',
    'total_net_mass_kg', 'total_value_usd', 'content_hash', 'source', 'created_by'],
  declaration_items: ['declaration_id', 'line', 'hs_code', 'net_mass_kg', 'value_usd', 'description'],
  declaration_containers: ['declaration_id', 'container_key'],
  licence_usages: ['licence_id', 'declaration_id', 'quantity_kg', 'declaration_date'],
  consent_drawdowns: ['consent_id', 'declaration_id', 'requested_kg', 'drawn_kg'],
  outbox: ['queue', 'job_name', 'job_id', 'payload'],
};

/**
 * Writes the COPY files of `declarations` (an iterable of generated declarations). `registries`
 * also writes what filing them counts against licences and consents (as the api would);
 * `outbox` writes their check jobs. Returns the prepared set, to `copyPrepared` and `discard`.
 */
export async function prepareCopy(world, declarations, { registries = true, outbox = false, source = 'system' } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'hgbench-'));
  const files = {};
  const writers = {};
  const tables = Object.keys(TABLES).filter((t) => (t === 'outbox' ? outbox : registries || !['licence_usages', 'consent_drawdowns'].includes(t)));
  for (const table of tables) {
    files[table] = join(dir, `${table}.tsv`);
    writers[table] = createWriteStream(files[table]);
  }
  const buffers = Object.fromEntries(tables.map((t) => [t, []]));
  const flush = async (force) => {
    for (const table of tables) {
      if (!force && buffers[table].length < 2000) continue;
      if (buffers[table].length === 0) continue;
      const ok = writers[table].write(buffers[table].join(''));
      buffers[table] = [];
      if (!ok) await new Promise((resolve) => writers[table].once('drain', resolve));
    }
  };
  const licenceOf = new Map(world.licences.map((l) => [l.number, l]));
  const tradersById = new Map(world.traders.map((t) => [t.id, t]));
  const ids = [];
  let items = 0;
  for (const d of declarations) {
    ids.push(d.id);
    const year = d.date.slice(0, 4);
    const controlled = d.items.filter((i) => familyOf(i.hsCode) !== 'other');
    const mercury = d.items.filter((i) => familyOf(i.hsCode) === 'mercury');
    const trader = tradersById.get(d.traderId);
    const licence = registries && controlled.length ? (d.licenceNumber && licenceOf.get(d.licenceNumber)) || trader?.licences[`${d.flow}:${year}`] : undefined;
    const consent = registries && d.flow === 'export' && mercury.length ? world.consentBy[`${d.country}>${d.partnerCountry}:${year}`] : undefined;
    buffers.declarations.push(line([d.id, d.country, d.number, d.flow, d.date, d.trader.nationalId, d.trader.name, d.traderId, d.counterparty.name, d.counterparty.country,
      d.counterparty.address, d.partnerCountry, d.originCountry, d.transportDocument, pgArray(d.containers), d.licenceNumber, d.consentReference, licence?.id, consent?.id,
      d.transportMode, sumFixed(d.items.map((i) => i.netMassKg), 3), sumFixed(d.items.map((i) => i.valueUsd), 2), contentHash(bodyOf(d)), source, null]));
    d.items.forEach((item, index) => buffers.declaration_items.push(line([d.id, index + 1, item.hsCode, item.netMassKg, item.valueUsd, item.description])));
    items += d.items.length;
    for (const key of new Set(d.containers.map(shippingKey))) buffers.declaration_containers.push(line([d.id, key]));
    if (licence) buffers.licence_usages.push(line([licence.id, d.id, sumFixed(controlled.map((i) => i.netMassKg), 3), d.date]));
    if (consent) {
      const kg = sumFixed(mercury.map((i) => i.netMassKg), 3);
      buffers.consent_drawdowns.push(line([consent.id, d.id, kg, kg]));
    }
    if (outbox) buffers.outbox.push(line(['crosscheck', 'check-declaration', `check.${d.id}.1`, JSON.stringify({ declarationId: d.id, version: 1 })]));
    await flush(false);
  }
  await flush(true);
  await Promise.all(tables.map((t) => new Promise((resolve, reject) => writers[t].end((error) => (error ? reject(error) : resolve())))));
  return { dir, files, tables, ids, declarations: ids.length, items };
}

/** COPYs a prepared set in one transaction; `commit: false` rolls it back (a baseline that leaves nothing behind). */
export async function copyPrepared(client, prepared, { commit = true, tables = prepared.tables } = {}) {
  const started = process.hrtime.bigint();
  await client.query('BEGIN');
  try {
    for (const table of TABLES_ORDER.filter((t) => tables.includes(t) && prepared.files[t])) {
      const sink = client.query(copyStreams.from(`COPY ${table} (${TABLES[table].join(', ')}) FROM STDIN`));
      await pipeline(createReadStream(prepared.files[table], { highWaterMark: 1 << 20 }), sink);
    }
    await client.query(commit ? 'COMMIT' : 'ROLLBACK');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
  return Number(process.hrtime.bigint() - started) / 1e9;
}
const TABLES_ORDER = ['declarations', 'declaration_items', 'declaration_containers', 'licence_usages', 'consent_drawdowns', 'outbox'];

export function discard(prepared) {
  rmSync(prepared.dir, { recursive: true, force: true });
}

/** After COPYing usages and drawdowns behind the api's back, the registries' running totals are recomputed. */
export async function recomputeRegistryTotals(client) {
  await client.query(
    `UPDATE licences l SET used_quantity_kg = coalesce((SELECT sum(quantity_kg) FROM licence_usages u WHERE u.licence_id = l.id), 0),
                           used_in_validity_kg = coalesce((SELECT sum(quantity_kg) FROM licence_usages u WHERE u.licence_id = l.id AND u.declaration_date BETWEEN l.valid_from AND l.valid_to), 0)`,
  );
  await client.query(`UPDATE consents c SET used_quantity_kg = coalesce((SELECT sum(drawn_kg) FROM consent_drawdowns d WHERE d.consent_id = c.id), 0)`);
}

/** The body the api hashes (DeclarationsService.bodyOf), so a COPYed declaration sent again is a duplicate, not a conflict. */
function bodyOf(d) {
  return {
    country: d.country, flow: d.flow, number: d.number, date: d.date, trader: { nationalId: d.trader.nationalId, name: d.trader.name },
    counterparty: { name: d.counterparty.name, country: d.counterparty.country, address: d.counterparty.address }, partnerCountry: d.partnerCountry,
    originCountry: d.originCountry, transportDocument: d.transportDocument, containers: d.containers, licenceNumber: d.licenceNumber,
    consentReference: d.consentReference, transportMode: d.transportMode,
    items: d.items.map((i) => ({ hsCode: i.hsCode, description: i.description, netMassKg: i.netMassKg, valueUsd: i.valueUsd })),
  };
}

function shippingKey(value) {
  return value.replace(/[\s./-]+/g, '').toUpperCase();
}

function sumFixed(values, decimals) {
  const f = 10 ** decimals;
  return (values.reduce((s, v) => s + Math.round(v * f), 0) / f).toFixed(decimals);
}

function pgArray(values) {
  return `{${values.map((v) => `"${String(v).replace(/["\\]/g, '\\$&')}"`).join(',')}}`;
}

/** One line of COPY's text format. */
function line(values) {
  return `${values.map((v) => (v === undefined || v === null ? '\\N' : String(v).replace(/[\\\t\n\r]/g, (c) => ({ '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' })[c]))).join('\t')}\n`;
}
