// The synthetic world the bench runs in: countries, trade lanes, traders with licences, consents,
// and a generator of declarations in realistic proportions. Everything is drawn from a seeded PRNG,
// so the same seed and scale give the same data on every machine.

import { randomUUID } from 'node:crypto';

/** mulberry32: small, fast, good enough for synthetic data. */
export function prng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: (list) => list[Math.floor(next() * list.length)],
    chance: (p) => next() < p,
    /** A value of `list` ([value, weight] pairs), by weight. */
    weighted(list) {
      const total = list.reduce((s, [, w]) => s + w, 0);
      let r = next() * total;
      for (const [value, weight] of list) if ((r -= weight) < 0) return value;
      return list[list.length - 1][0];
    },
    /** Roughly normal, mean 0, sd 1 (sum of uniforms). */
    gauss: () => next() + next() + next() + next() + next() + next() - 3,
  };
}

/** Declaring countries: the Americas' artisanal-gold mercury routes, Asian and European suppliers, two non-Parties. */
const COUNTRIES = {
  MX: { legal: 'SA de CV', port: 'Manzanillo' },
  BO: { legal: 'SRL', port: 'La Paz' },
  PE: { legal: 'SAC', port: 'Callao' },
  CO: { legal: 'SAS', port: 'Cartagena' },
  EC: { legal: 'Cia Ltda', port: 'Guayaquil' },
  BR: { legal: 'Ltda', port: 'Santos' },
  GY: { legal: 'Inc', port: 'Georgetown' },
  SR: { legal: 'NV', port: 'Paramaribo' },
  US: { legal: 'LLC', port: 'Houston' },
  NL: { legal: 'BV', port: 'Rotterdam' },
  DE: { legal: 'GmbH', port: 'Hamburg' },
  TR: { legal: 'AS', port: 'Mersin' },
  GH: { legal: 'Ltd', port: 'Tema' },
  IN: { legal: 'Pvt Ltd', port: 'Nhava Sheva' },
  CN: { legal: 'Co Ltd', port: 'Shanghai' },
  VN: { legal: 'JSC', port: 'Hai Phong' },
  ID: { legal: 'PT', port: 'Surabaya' },
  PH: { legal: 'Inc', port: 'Manila' },
  KG: { legal: 'LLC', port: 'Bishkek' },
  TJ: { legal: 'LLC', port: 'Dushanbe' },
};
export const COUNTRY_CODES = Object.keys(COUNTRIES);
const NON_PARTIES = new Set(['KG', 'TJ']);

/** HS codes by family, with the weight of each code within it. */
const HS = {
  mercury: [['280540', 1]],
  compound: [['285210', 3], ['285290', 1]],
  product: [['850630', 2], ['853931', 4], ['853932', 2], ['902511', 3], ['901890', 2], ['902580', 1], ['330499', 1], ['853641', 1]],
  cover: [['251710', 3], ['710691', 2], ['261690', 2], ['382499', 1]],
};
const DESCRIPTIONS = {
  280540: 'Mercury, in flasks of 34.5 kg', 285210: 'Mercuric chloride', 285290: 'Mercury compounds, n.e.s.', 850630: 'Mercuric oxide button cells',
  853931: 'Compact fluorescent lamps', 853932: 'High-pressure mercury vapour lamps', 902511: 'Clinical thermometers, liquid-filled', 901890: 'Sphygmomanometers',
  902580: 'Barometers', 330499: 'Skin-lightening creams', 853641: 'Relays', 251710: 'Crushed stone', 710691: 'Silver, unwrought', 261690: 'Precious metal concentrates',
  382499: 'Chemical preparations, n.e.s.',
};
/** Price per kg in USD, FOB: mercury between the 2010 market and a 2025 seizure valuation. */
const PRICE = { mercury: [34, 125], compound: [60, 200], product: [8, 60], cover: [0.05, 2] };

/** Trade lanes: exporter, importer, family of goods, weight. Mercury flows to artisanal gold mining. */
const LANES = [
  ['MX', 'BO', 'mercury', 10], ['MX', 'PE', 'mercury', 6], ['MX', 'CO', 'mercury', 4], ['MX', 'EC', 'mercury', 3], ['KG', 'CN', 'mercury', 2], ['TJ', 'IN', 'mercury', 2],
  ['NL', 'IN', 'mercury', 2], ['ID', 'PH', 'mercury', 2], ['CN', 'VN', 'mercury', 2], ['TR', 'GH', 'mercury', 2], ['BO', 'PE', 'mercury', 1], ['SR', 'GY', 'mercury', 1],
  ['DE', 'BR', 'compound', 3], ['NL', 'IN', 'compound', 2], ['CN', 'ID', 'compound', 2], ['US', 'MX', 'compound', 2], ['IN', 'GH', 'compound', 1],
  ['CN', 'US', 'product', 8], ['CN', 'MX', 'product', 5], ['CN', 'BR', 'product', 4], ['CN', 'IN', 'product', 3], ['DE', 'US', 'product', 3], ['DE', 'TR', 'product', 2],
  ['IN', 'GH', 'product', 2], ['VN', 'US', 'product', 3], ['US', 'CO', 'product', 2], ['NL', 'DE', 'product', 2], ['CN', 'PH', 'product', 3], ['TR', 'NL', 'product', 1],
  ['PE', 'CN', 'cover', 3], ['BO', 'CN', 'cover', 2], ['CO', 'US', 'cover', 2], ['GY', 'NL', 'cover', 1], ['GH', 'IN', 'cover', 1], ['SR', 'NL', 'cover', 1],
];

const WORDS = ['Andina', 'Minera', 'Quimica', 'Norte', 'Sur', 'Pacifico', 'Atlantico', 'Global', 'Metales', 'Trading', 'Industrial', 'Comercial', 'Golden', 'Sierra',
  'Rio', 'Oriental', 'Central', 'Union', 'Delta', 'Aurora', 'Condor', 'Jaguar', 'Volcan', 'Altiplano', 'Cobre', 'Plata', 'Lumen', 'Medica', 'Electro', 'Import', 'Export',
  'Hanse', 'Rhein', 'Anatolia', 'Volta', 'Ganges', 'Yangtze', 'Mekong', 'Java', 'Luzon', 'Tian Shan', 'Pamir', 'Suriname', 'Esequibo', 'Lakeside', 'Harbor', 'Summit'];
const ACCENTED = { Andina: 'Andína', Quimica: 'Química', Pacifico: 'Pacífico', Atlantico: 'Atlántico', Rio: 'Río', Condor: 'Cóndor', Volcan: 'Volcán', Medica: 'Médica' };

/**
 * The registries at a given scale: traders per country grow with the number of declarations,
 * each licensed trader holds a yearly licence per flow, and each mercury lane has a consent of the
 * importing country (with the non-Party certification where the exporter is not a Party).
 */
export function buildWorld({ declarations, seed = 42, today = new Date() }) {
  const r = prng(seed);
  const todayIso = isoDay(today);
  const years = [yearOf(addDays(todayIso, -800)), yearOf(addDays(todayIso, -400)), yearOf(todayIso)].filter((y, i, a) => a.indexOf(y) === i);
  const perCountry = Math.max(8, Math.min(300, Math.round(declarations / 4000)));
  const traders = [];
  const tradersBy = {};
  for (const country of COUNTRY_CODES) {
    tradersBy[country] = [];
    for (let n = 1; n <= perCountry; n += 1) {
      const name = `${r.pick(WORDS)} ${r.pick(WORDS)} ${COUNTRIES[country].legal}`.replace(/^(\w+) \1 /, '$1 ');
      const trader = { id: randomUUID(), country, nationalId: `${country}T${String(n).padStart(5, '0')}`, name, address: COUNTRIES[country].port, licensed: !r.chance(0.04), licences: {} };
      traders.push(trader);
      tradersBy[country].push(trader);
    }
  }
  const licences = [];
  const statusChanges = [];
  for (const trader of traders) {
    if (!trader.licensed) continue;
    for (const type of ['export', 'import']) {
      for (const year of years) {
        const status = r.chance(0.015) ? r.pick(['suspended', 'revoked']) : 'active';
        const licence = {
          id: randomUUID(), country: trader.country, traderId: trader.id, number: `${trader.country}-${type === 'export' ? 'EXP' : 'IMP'}-${year}-${trader.nationalId.slice(3)}`, type,
          hsCodes: ['2805', '2852'], maxQuantityKg: r.chance(0.3) ? 2_000_000 : null, validFrom: `${year}-01-01`, validTo: `${year}-12-31`, status,
        };
        licences.push(licence);
        trader.licences[`${type}:${year}`] = licence;
        if (status !== 'active') statusChanges.push({ licenceId: licence.id, from: 'active', to: status, reason: status === 'suspended' ? 'Storage inspection failed' : 'Licence holder convicted of smuggling' });
      }
    }
  }
  const consents = [];
  const consentBy = {};
  let consentSeq = 0;
  for (const [exporter, importer, family] of LANES) {
    if (family !== 'mercury') continue;
    // One lane in twelve has no consent at all: its exports raise CONSENT_MISSING.
    if (exporter === 'SR') continue;
    for (const year of years) {
      consentSeq += 1;
      const consent = {
        id: randomUUID(), reference: `${importer}-PIC-${year}-${String(consentSeq).padStart(3, '0')}`, type: r.chance(0.2) ? 'general_notification' : 'written_consent',
        issuingCountry: importer, exportingCountry: exporter, importingCountry: importer, hsCodes: ['280540'], quantityKg: null, purpose: 'allowed_use',
        validFrom: `${year}-01-01`, validTo: `${year}-12-31`, nonPartyCertification: NON_PARTIES.has(exporter) || NON_PARTIES.has(importer),
      };
      consents.push(consent);
      consentBy[`${exporter}>${importer}:${year}`] = consent;
    }
  }
  return { seed, today: todayIso, traders, tradersBy, licences, statusChanges, consents, consentBy, countries: COUNTRY_CODES };
}

/**
 * Declarations of shipments between the lanes' countries, in realistic proportions: most exports
 * have their import in the destination days to weeks later, with weighing noise on the mass and the
 * CIF value a few percent above FOB; a few percent are anomalies (no import, another quantity, another
 * HS code, another destination, an import dated before its export, a different consignee, an
 * unlikely value), some imports come without the transport document, some shipments arrive in parts,
 * and some imports have no export at all. `prefix` (one letter) keeps datasets apart.
 */
export function* declarations(world, { prefix, count, from, to, seed }) {
  const r = prng(seed);
  const lanes = LANES.map((lane) => [lane, lane[3]]);
  const seq = {};
  const number = (country, date) => {
    seq[country] = (seq[country] ?? 0) + 1;
    return `${country}-${prefix}${date.slice(2, 4)}-${String(seq[country]).padStart(7, '0')}`;
  };
  const span = daysBetween(from, to);
  let produced = 0;
  let shipment = 0;
  while (produced < count) {
    shipment += 1;
    const [exporterCountry, importerCountry, family] = r.weighted(lanes);
    const mode = family === 'mercury' || family === 'cover' ? r.weighted([['sea', 6], ['road', 2], ['air', 1]]) : r.weighted([['sea', 5], ['air', 3], ['road', 1], ['post', 1]]);
    const date = addDays(from, r.int(0, span));
    const exporter = r.pick(world.tradersBy[exporterCountry]);
    const importer = r.pick(world.tradersBy[importerCountry]);
    const items = makeItems(r, family);
    const transportDocument = documentNumber(mode, prefix, shipment);
    const containers = mode === 'sea' ? Array.from({ length: r.weighted([[1, 8], [2, 2]]) }, (_, i) => `${transportDocument.slice(0, 4)}${prefix}${String(shipment * 3 + i).padStart(7, '0')}`) : [];
    const anomaly = r.weighted([['none', 880], ['no_import', 30], ['orphan_import', 10], ['quantity', 10], ['hs', 5], ['route', 5], ['date', 3], ['counterparty', 7], ['value', 5], ['split', 10], ['no_document', 35]]);
    const year = date.slice(0, 4);
    const exportDecl = {
      id: randomUUID(), country: exporterCountry, flow: 'export', number: number(exporterCountry, date), date,
      trader: { nationalId: exporter.nationalId, name: exporter.name }, traderId: exporter.id,
      counterparty: { name: anomaly === 'counterparty' ? `${r.pick(WORDS)} ${r.pick(WORDS)} ${COUNTRIES[importerCountry].legal}` : noisyName(r, importer.name), country: importerCountry, address: COUNTRIES[importerCountry].port },
      partnerCountry: importerCountry, originCountry: exporterCountry, transportDocument, containers, transportMode: mode,
      licenceNumber: family === 'mercury' || family === 'compound' ? exporter.licences[`export:${year}`]?.number : undefined,
      consentReference: family === 'mercury' && r.chance(0.8) ? world.consentBy[`${exporterCountry}>${importerCountry}:${year}`]?.reference : undefined,
      items,
    };
    const imports = [];
    if (anomaly !== 'no_import') {
      const lag = mode === 'air' ? r.int(1, 5) : mode === 'sea' ? r.int(12, 45) : r.int(3, 14);
      const importDate = anomaly === 'date' ? addDays(date, -r.int(5, 20)) : addDays(date, lag);
      const destination = anomaly === 'route' ? r.pick(world.countries.filter((c) => c !== importerCountry && c !== exporterCountry)) : importerCountry;
      const declaringImporter = destination === importerCountry ? importer : r.pick(world.tradersBy[destination]);
      const parts = anomaly === 'split' ? 2 : 1;
      for (let part = 0; part < parts; part += 1) {
        const importItems = items.map((item) => {
          let kg = item.netMassKg / parts * (1 + r.gauss() * 0.002);
          if (anomaly === 'quantity') kg *= 0.6 + r.next() * 0.3;
          let usd = item.valueUsd / parts * (1.02 + r.next() * 0.06);
          if (anomaly === 'value') usd *= 2 + r.next() * 2;
          return { hsCode: anomaly === 'hs' ? '251710' : item.hsCode, description: anomaly === 'hs' ? 'Crushed stone' : item.description, netMassKg: round(Math.max(kg, 0.001), 3), valueUsd: round(usd, 2) };
        });
        imports.push({
          id: randomUUID(), country: destination, flow: 'import', number: number(destination, importDate), date: addDays(importDate, part * r.int(2, 10)),
          trader: { nationalId: declaringImporter.nationalId, name: declaringImporter.name }, traderId: declaringImporter.id,
          counterparty: { name: noisyName(r, exporter.name), country: exporterCountry, address: COUNTRIES[exporterCountry].port },
          partnerCountry: exporterCountry, originCountry: exporterCountry,
          transportDocument: anomaly === 'no_document' ? undefined : noisyDocument(r, transportDocument),
          containers: anomaly === 'no_document' ? [] : containers.map((c) => noisyDocument(r, c, '-')), transportMode: mode,
          licenceNumber: family === 'mercury' || family === 'compound' ? declaringImporter.licences[`import:${year}`]?.number : undefined,
          items: importItems,
        });
      }
    }
    // Imports dated after today are still in transit; only their export exists yet.
    const emit = anomaly === 'orphan_import' ? imports : [exportDecl, ...imports];
    for (const declaration of emit) {
      if (declaration.date > to || declaration.date < from) continue;
      yield declaration;
      produced += 1;
      if (produced >= count) return;
    }
  }
}

function makeItems(r, family) {
  const lines = r.weighted([[1, 85], [2, 12], [3, 3]]);
  return Array.from({ length: lines }, () => {
    const hsCode = r.weighted(HS[family]);
    const kg = family === 'mercury' ? 34.5 * r.weighted([[r.int(1, 10), 5], [r.int(10, 100), 4], [r.int(100, 400), 1]]) : family === 'cover' ? r.int(500, 40000) : r.int(5, 5000) + r.int(0, 999) / 1000;
    const [lo, hi] = PRICE[family];
    return { hsCode, description: DESCRIPTIONS[hsCode], netMassKg: round(kg, 3), valueUsd: round(kg * (lo + r.next() * (hi - lo)), 2) };
  });
}

function documentNumber(mode, prefix, shipment) {
  const n = String(shipment).padStart(8, '0');
  if (mode === 'air') return `AWB-${String(shipment % 900 + 100)}-${prefix}${n}`;
  if (mode === 'sea') return `${['MSCU', 'MAEU', 'CMAU', 'HLCU'][shipment % 4]}${prefix}${n}`;
  return `CMR-${prefix}${n}`;
}

/** Customs systems write the same document differently: case, spaces, dashes (containers never have spaces: a CSV separates them by spaces). */
function noisyDocument(r, doc, separator = ' ') {
  if (!r.chance(0.15)) return doc;
  return r.chance(0.5) ? doc.toLowerCase() : doc.replace(/(\D)(\d)/, `$1${separator}$2`);
}

/** The consignee as the exporter typed it: case, accents and legal form vary. */
function noisyName(r, name) {
  let out = name;
  if (r.chance(0.1)) out = out.replace(/\b\w+\b/g, (w) => ACCENTED[w] ?? w);
  if (r.chance(0.15)) out = out.toUpperCase();
  if (r.chance(0.1)) out = out.replace(/ (SA de CV|SRL|SAC|SAS|Ltda|LLC|BV|GmbH|Ltd|Inc|PT|JSC|Co Ltd|Pvt Ltd|AS|NV|Cia Ltda)$/i, '');
  return out;
}

export function round(value, decimals) {
  const f = 10 ** decimals;
  return Math.round(value * f) / f;
}

export function isoDay(date) {
  return date.toISOString().slice(0, 10);
}

export function addDays(iso, days) {
  return isoDay(new Date(Date.parse(`${iso}T00:00:00Z`) + days * 86400_000));
}

function daysBetween(a, b) {
  return Math.round((Date.parse(`${b}T00:00:00Z`) - Date.parse(`${a}T00:00:00Z`)) / 86400_000);
}

function yearOf(iso) {
  return iso.slice(0, 4);
}

/** The body of API.md for a generated declaration. */
export function apiBody(d) {
  return {
    country: d.country, flow: d.flow, number: d.number, date: d.date, trader: d.trader, counterparty: d.counterparty, partnerCountry: d.partnerCountry,
    originCountry: d.originCountry, transportDocument: d.transportDocument, containers: d.containers.length ? d.containers : undefined, licenceNumber: d.licenceNumber,
    consentReference: d.consentReference, transportMode: d.transportMode, items: d.items,
  };
}

const CSV_HEADER = ['country', 'flow', 'number', 'date', 'trader_national_id', 'trader_name', 'counterparty_name', 'counterparty_country', 'counterparty_address',
  'partner_country', 'origin_country', 'transport_document', 'containers', 'licence_number', 'consent_reference', 'transport_mode', 'hs_code', 'description', 'net_mass_kg', 'value_usd'];

export function csvHeader() {
  return `${CSV_HEADER.join(',')}\n`;
}

/** The CSV rows (one per item) of the README's import format. */
export function csvRows(d) {
  const common = [d.country, d.flow, d.number, d.date, d.trader.nationalId, d.trader.name, d.counterparty.name, d.counterparty.country, d.counterparty.address,
    d.partnerCountry, d.originCountry, d.transportDocument, d.containers.join(';'), d.licenceNumber, d.consentReference, d.transportMode];
  return d.items.map((i) => `${[...common, i.hsCode, i.description, i.netMassKg, i.valueUsd].map(csvCell).join(',')}\n`).join('');
}

function csvCell(value) {
  if (value === undefined || value === null) return '';
  const s = String(value);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
