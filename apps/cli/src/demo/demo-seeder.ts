import { Readable } from 'node:stream';
import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { UsersService } from '@hgtrace/auth';
import { type Actor, systemActor } from '@hgtrace/common';
import { ConsentsService } from '@hgtrace/consents';
import { DeclarationsService } from '@hgtrace/declarations';
import { ComtradeService, RunsService } from '@hgtrace/crosscheck';
import { LicencesService, TradersService, today } from '@hgtrace/registry';

/** The logins the demo creates; README, "Demo". */
export const DEMO_PASSWORD = 'hgtrace-demo-2026';
export const DEMO_USERS = [
  { email: 'analyst@demo.hgtrace', role: 'analyst', countries: ['*'] },
  { email: 'focal.mx@demo.hgtrace', role: 'focal_point', countries: ['MX'] },
  { email: 'focal.bo@demo.hgtrace', role: 'focal_point', countries: ['BO'] },
  { email: 'officer.mx@demo.hgtrace', role: 'customs_officer', countries: ['MX'] },
  { email: 'officer.bo@demo.hgtrace', role: 'customs_officer', countries: ['BO'] },
  { email: 'officer.pe@demo.hgtrace', role: 'customs_officer', countries: ['PE'] },
  { email: 'officer.co@demo.hgtrace', role: 'customs_officer', countries: ['CO'] },
] as const;

/** The anomalies the demo plants, by export number: what an analyst should find, and all they should find. */
export const PLANTED: Record<string, string[]> = {
  'MX-DEMO-P01': ['ROUTE_MISMATCH'], // exported to BO, the bill of lading imported into PE
  'MX-DEMO-P02': ['HS_CODE_MISMATCH', 'VALUE_ANOMALY'], // mercury exported, "crushed stone" imported, at stone prices
  'MX-DEMO-P03': ['CONSENT_QUANTITY_EXCEEDED'], // 3,450 kg on a consent of 2,000 kg
  'MX-DEMO-P04': ['QUANTITY_MISMATCH'], // 3,450 kg exported, 2,760 kg imported
  'MX-DEMO-P05': ['LICENCE_INACTIVE'], // exported on an expired licence
  'MX-DEMO-P06': ['LICENCE_INACTIVE'], // exported on a suspended licence
  'MX-DEMO-P07': ['LICENCE_MISSING'], // an exporter no register knows
  'MX-DEMO-P08': ['NON_PARTY_UNCERTIFIED'], // to a non-Party, without the certification
  'MX-DEMO-P09': ['COUNTERPARTY_MISMATCH'], // imported by someone other than the consignee
  'MX-DEMO-P10': ['NO_MATCHING_IMPORT'], // exported to BO seven months ago, never declared there
};

/** What the mirror shows for a closed year: EC reports to UN Comtrade mercury from MX that MX never declared. */
export const PLANTED_MIRROR_GAP = (asOf: string) => `mirror:MX:EC:280540:${Number(addDays(asOf, -120).slice(0, 4)) - 1}`;

function comtradeRecords(year: number): string {
  return [
    'typeCode,freqCode,refYear,reporterCode,reporterISO,reporterDesc,flowCode,partnerCode,partnerISO,partnerDesc,cmdCode,netWgt,primaryValue',
    `C,A,${year},218,ECU,Ecuador,M,484,MEX,Mexico,280540,2415,135240`,
    `C,A,${year},218,ECU,Ecuador,M,0,W00,World,280540,2415,135240`,
  ].join('\n');
}

/** A small deterministic generator, so that every demo is the same demo. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

interface Party {
  nationalId: string;
  name: string;
}

interface Shipment {
  number: string;
  exporter: Party;
  to: string;
  consignee: string;
  kg: number;
  date: string;
  document?: string;
  consent?: string;
  import?: { country?: string; importer: Party; kg?: number[]; hs?: string; valueFactor?: number; days?: number } | null;
}

/**
 * A dataset a newcomer can explore: four countries' registries (a suspended and an expired licence
 * among them), consents, about two hundred shipments over the last two years with the noise real data
 * has, and a handful of planted illegal patterns. Everything goes through the same services as the
 * API, so the background checks raise the flags. Seeding twice changes nothing.
 */
@Injectable()
export class DemoSeeder {
  private readonly logger = new Logger('Demo');
  private readonly actor: Actor = systemActor('demo-seed');

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly users: UsersService,
    private readonly traders: TradersService,
    private readonly licences: LicencesService,
    private readonly consents: ConsentsService,
    private readonly declarations: DeclarationsService,
    private readonly runs: RunsService,
    private readonly comtrade: ComtradeService,
  ) {}

  async seed(): Promise<{ seeded: boolean; declarations: number; runId?: string }> {
    const [{ exists }] = await this.dataSource.query(`SELECT EXISTS (SELECT 1 FROM traders WHERE country = 'MX' AND national_id = 'MXA-0001') AS exists`);
    if (exists) return { seeded: false, declarations: 0 };
    // The first admin comes from the environment when there are no users; the demo's users must not pre-empt it.
    await this.users.ensureFirstAdmin();
    for (const user of DEMO_USERS) await this.users.create(this.actor, { ...user, countries: [...user.countries], password: DEMO_PASSWORD });

    const end = today();
    const start = addDays(end, -720);
    const trader = async (country: string, nationalId: string, name: string, aliases: string[] = []) =>
      (await this.traders.create(this.actor, { country, nationalId, name, aliases })).id;
    const licence = async (traderId: string, number: string, type: 'export' | 'import', validFrom = start, validTo = addDays(end, 365)) =>
      (await this.licences.create(this.actor, { traderId, number, type, hsCodes: ['2805', '2852'], validFrom, validTo })).id;

    const norte = await trader('MX', 'MXA-0001', 'Minera del Norte SA de CV', ['Minera Norte']);
    const azteca = await trader('MX', 'MXB-0002', 'Metales Azteca SA');
    const sierra = await trader('MX', 'MXC-0003', 'Quimica Sierra SA de CV');
    await licence(norte, 'MX-EXP-0042', 'export');
    await licence(azteca, 'MX-EXP-0043', 'export', start, addDays(start, 300));
    const suspended = await licence(sierra, 'MX-EXP-0044', 'export');
    await this.licences.changeStatus(this.actor, suspended, 'suspend', 'Storage inspection found flasks outside the licensed site');
    await licence(await trader('BO', 'BOI-1001', 'Importadora Andina SRL'), 'BO-IMP-0007', 'import');
    await licence(await trader('BO', 'BOC-1002', 'Comercial Pacifico Ltda'), 'BO-IMP-0008', 'import');
    await licence(await trader('PE', 'PEI-2001', 'Quimica Lima SAC'), 'PE-IMP-0011', 'import');
    await licence(await trader('CO', 'COI-3001', 'Dental Bogota SAS'), 'CO-IMP-0021', 'import');
    const consent = (reference: string, importing: string, quantityKg: number | undefined, type: 'written_consent' | 'general_notification' = 'written_consent') =>
      this.consents.create(this.actor, { reference, type, exportingCountry: 'MX', importingCountry: importing, hsCodes: ['280540'], quantityKg, purpose: 'allowed_use', validFrom: start, validTo: addDays(end, 365) });
    await consent('BO-PIC-0001', 'BO', 400_000);
    await consent('BO-PIC-0002', 'BO', 2_000);
    await consent('PE-GN-0001', 'PE', undefined, 'general_notification');
    await consent('CO-PIC-0001', 'CO', 200_000);
    await consent('VE-PIC-0001', 'VE', 10_000);

    const random = prng(20260301);
    const shipments: Shipment[] = [];
    const bolivia = { importer: { nationalId: 'BOI-1001', name: 'IMPORTADORA ANDINA S.R.L.' } };
    const consignees = ['Importadora Andina SRL', 'IMPORTADORA ANDINA S.R.L.', 'Importadóra Andina', 'importadora andina srl'];
    const norteParty = { nationalId: 'MXA-0001', name: 'Minera del Norte SA de CV' };
    // About two hundred clean shipments: monthly flows to BO, PE and CO, with weighing differences under
    // the tolerance, CIF a few percent above FOB, imports weeks later and names spelled differently.
    for (let i = 0; i < 200; i++) {
      const to = i % 5 < 3 ? 'BO' : i % 5 === 3 ? 'PE' : 'CO';
      const date = addDays(start, Math.floor((i * 600) / 200) + Math.floor(random() * 3));
      const kg = Math.round(34.5 * (10 + Math.floor(random() * 90)) * 1000) / 1000;
      const noise = 1 - random() * 0.015;
      const importer =
        to === 'BO'
          ? { importer: { ...bolivia.importer, name: consignees[i % consignees.length] } }
          : to === 'PE'
            ? { importer: { nationalId: 'PEI-2001', name: 'QUÍMICA LIMA S.A.C.' } }
            : { importer: { nationalId: 'COI-3001', name: 'Dental Bogotá S.A.S.' } };
      shipments.push({
        number: `MX-DEMO-${String(i + 1).padStart(4, '0')}`,
        exporter: norteParty,
        to,
        consignee: to === 'BO' ? 'Importadora Andina SRL' : to === 'PE' ? 'Quimica Lima SAC' : 'Dental Bogota SAS',
        kg,
        date,
        document: i % 10 === 3 ? undefined : `MSCU${String(7000000 + i)}`,
        import: { ...importer, kg: [Math.round(kg * noise * 1000) / 1000], valueFactor: 1.04 + random() * 0.04, days: 14 + Math.floor(random() * 40) },
      });
    }
    // The planted patterns.
    const recent = addDays(end, -60);
    shipments.push(
      { number: 'MX-DEMO-P01', exporter: norteParty, to: 'BO', consignee: 'Importadora Andina SRL', kg: 2760, date: addDays(recent, 1), document: 'MSCU9900001', import: { country: 'PE', importer: { nationalId: 'PEI-2001', name: 'Quimica Lima SAC' } } },
      { number: 'MX-DEMO-P02', exporter: norteParty, to: 'BO', consignee: 'Importadora Andina SRL', kg: 4000, date: addDays(recent, 3), document: 'MSCU9900002', import: { ...bolivia, hs: '251710', valueFactor: 0.05 } },
      { number: 'MX-DEMO-P03', exporter: norteParty, to: 'BO', consignee: 'Importadora Andina SRL', kg: 3450, date: addDays(recent, 5), document: 'MSCU9900003', consent: 'BO-PIC-0002', import: bolivia },
      { number: 'MX-DEMO-P04', exporter: norteParty, to: 'BO', consignee: 'Importadora Andina SRL', kg: 3450, date: addDays(recent, 7), document: 'MSCU9900004', import: { ...bolivia, kg: [2760] } },
      { number: 'MX-DEMO-P05', exporter: { nationalId: 'MXB-0002', name: 'Metales Azteca SA' }, to: 'BO', consignee: 'Importadora Andina SRL', kg: 690, date: addDays(start, 420), document: 'MSCU9900005', import: bolivia },
      { number: 'MX-DEMO-P06', exporter: { nationalId: 'MXC-0003', name: 'Quimica Sierra SA de CV' }, to: 'BO', consignee: 'Importadora Andina SRL', kg: 345, date: end, document: 'MSCU9900006', import: null },
      { number: 'MX-DEMO-P07', exporter: { nationalId: 'MXZ-0999', name: 'Exportadora Fantasma SA' }, to: 'BO', consignee: 'Importadora Andina SRL', kg: 1035, date: addDays(recent, 11), document: 'MSCU9900007', import: bolivia },
      { number: 'MX-DEMO-P08', exporter: norteParty, to: 'VE', consignee: 'Inversiones Orinoco CA', kg: 1380, date: addDays(recent, 13), document: 'MSCU9900008', import: null },
      { number: 'MX-DEMO-P09', exporter: norteParty, to: 'BO', consignee: 'Importadora Andina SRL', kg: 2070, date: addDays(recent, 15), document: 'MSCU9900009', import: { importer: { nationalId: 'BOC-1002', name: 'Comercial Pacifico Ltda' } } },
      { number: 'MX-DEMO-P10', exporter: norteParty, to: 'BO', consignee: 'Importadora Andina SRL', kg: 1725, date: addDays(end, -210), document: 'MSCU9900010', import: null },
    );

    const exports = shipments.map((s) => ({
      country: 'MX', flow: 'export', number: s.number, date: s.date, trader: s.exporter, counterparty: { name: s.consignee, country: s.to }, partnerCountry: s.to, originCountry: 'MX',
      transportDocument: s.document, consentReference: s.consent, transportMode: 'sea',
      items: [{ hsCode: '280540', description: `Mercury, ${Math.round(s.kg / 34.5)} flasks`, netMassKg: s.kg, valueUsd: Math.round(s.kg * 54) }],
    }));
    const imports = shipments.flatMap((s) => {
      if (!s.import || s.date > addDays(end, -(s.import.days ?? 25))) return [];
      const country = s.import.country ?? s.to;
      return (s.import.kg ?? [s.kg]).map((kg, part) => ({
        country, flow: 'import', number: `${country}-${s.number.slice(3)}-${part + 1}`, date: addDays(s.date, s.import!.days ?? 25),
        trader: s.import!.importer, counterparty: { name: 'MINERA DEL NORTE S.A. DE C.V.', country: 'MX' }, partnerCountry: 'MX', originCountry: 'MX',
        transportDocument: s.document?.replace(/^(\w{4})/, '$1 '), transportMode: 'sea',
        items: [{ hsCode: s.import!.hs ?? '28054000', description: s.import!.hs === '251710' ? 'Crushed stone' : 'Mercurio', netMassKg: kg, valueUsd: Math.round(s.kg * 54 * (s.import!.valueFactor ?? 1.06) * (kg / s.kg)) }],
      }));
    });
    let filed = 0;
    for (const batch of [exports, imports]) {
      for (let i = 0; i < batch.length; i += 200) {
        const results = await this.declarations.submitBatch(this.actor, batch.slice(i, i + 200), 'system');
        const rejected = results.filter((r) => r.status === 'rejected');
        if (rejected.length) this.logger.warn(`demo declarations rejected: ${JSON.stringify(rejected.slice(0, 3))}`);
        filed += results.length - rejected.length;
      }
    }
    // Ecuador files no declarations into hgtrace, but its Comtrade records show mercury from Mexico that
    // Mexico never declared: the mirror gap of the last closed year (those of the sweep and the run).
    const closedYear = Number(addDays(end, -120).slice(0, 4)) - 1;
    await this.comtrade.import(this.actor, Readable.from([comtradeRecords(closedYear)]), 'demo-comtrade.csv');
    // A cross-check run, so that the sweep's findings (an export that never arrived) are there too.
    const { id: runId } = await this.runs.create(this.actor, {});
    this.logger.log(`seeded the demo: ${filed} declarations; the worker checks them in the background (run ${runId})`);
    return { seeded: true, declarations: filed, runId };
  }
}
