import { type ChildProcess, spawn } from 'node:child_process';
import { eventually } from '@hgtrace/testing';
import { type Method, type TestApp, type TestUser, createUser, requestAs, startTestApp } from '../support/test-app.js';

/**
 * A realistic scenario: registries of four countries, clean shipments with the noise real data has
 * (weighing differences under the tolerance, CIF above FOB, imports weeks after exports, names
 * spelled differently, partial shipments, shipments without transport documents) and shipments with
 * one planted anomaly each. Every anomaly must raise its code, and no clean shipment any flag.
 */
describe('cross-check scenario', () => {
  let t: TestApp;
  let worker: ChildProcess;
  const u: Record<string, TestUser> = {};
  const clean = new Set<string>();
  const planted: [string, string][] = [];

  const as = (user: TestUser | string, method: Method, path: string, body?: object) => requestAs(t, user, method, path, body);

  interface Shipment {
    exporter?: { nationalId: string; name: string };
    importer?: { nationalId: string; name: string; country?: string };
    consignee?: string;
    to?: string;
    kg: number;
    exportDate: string;
    importDate?: string | null;
    importKg?: number[];
    importHs?: string;
    importValueFactor?: number;
    document?: string | null;
    consent?: string;
  }

  const MXA = { nationalId: 'MXA-1', name: 'Minera del Norte SA de CV' };
  const BOI = { nationalId: 'BOI-1', name: 'IMPORTADORA ANDINA S.R.L.', country: 'BO' };
  let sequence = 0;

  /** Files an export and its import(s) through the API; returns the numbers. */
  async function ship(s: Shipment): Promise<string[]> {
    sequence += 1;
    const to = s.to ?? 'BO';
    const exporter = s.exporter ?? MXA;
    const importer = s.importer ?? BOI;
    const importCountry = importer.country ?? to;
    const exportNumber = `MX-2026-${String(sequence).padStart(6, '0')}`;
    const valueFob = Math.round(s.kg * 54);
    await as(u.officerMX, 'post', '/api/v1/declarations', {
      country: 'MX', flow: 'export', number: exportNumber, date: s.exportDate,
      trader: exporter, counterparty: { name: s.consignee ?? 'Importadora Andina SRL', country: to }, partnerCountry: to, originCountry: 'MX',
      transportDocument: s.document === null ? undefined : (s.document ?? `BL-${sequence}`), consentReference: s.consent, transportMode: 'sea',
      items: [{ hsCode: '280540', description: 'Mercury in flasks', netMassKg: s.kg, valueUsd: valueFob }],
    }).expect(201);
    const numbers = [exportNumber];
    if (s.importDate === null) return numbers;
    const parts = s.importKg ?? [s.kg];
    for (const [i, kg] of parts.entries()) {
      const number = `${importCountry}-2026-${sequence}-${i + 1}`;
      await as(u[`officer${importCountry}`], 'post', '/api/v1/declarations', {
        country: importCountry, flow: 'import', number, date: s.importDate ?? addDays(s.exportDate, 25),
        trader: { nationalId: importer.nationalId, name: importer.name }, counterparty: { name: 'MINERA DEL NORTE S.A. DE C.V.', country: 'MX' }, partnerCountry: 'MX', originCountry: 'MX',
        transportDocument: s.document === null ? undefined : (s.document ?? `BL ${sequence}`), transportMode: 'sea',
        items: [{ hsCode: s.importHs ?? '28054000', netMassKg: kg, valueUsd: Math.round((valueFob * kg * (s.importValueFactor ?? 1.06)) / s.kg) }],
      }).expect(201);
      numbers.push(number);
    }
    return numbers;
  }

  function addDays(date: string, days: number): string {
    return new Date(Date.parse(`${date}T00:00:00Z`) + days * 86400_000).toISOString().slice(0, 10);
  }

  beforeAll(async () => {
    t = await startTestApp();
    worker = spawn(process.execPath, ['dist/apps/worker/src/main.js'], { env: { ...process.env, ...t.env, OUTBOX_POLL_MS: '200' }, stdio: 'ignore' });
    for (const c of ['MX', 'BO', 'PE', 'CO']) {
      u[`focal${c}`] = await createUser(t, 'focal_point', [c]);
      u[`officer${c}`] = await createUser(t, 'customs_officer', [c]);
    }
    u.analyst = await createUser(t, 'analyst', ['*']);
    const trader = async (country: string, nationalId: string, name: string) => (await as(u[`focal${country}`], 'post', '/api/v1/traders', { country, nationalId, name }).expect(201)).body;
    const licence = async (country: string, traderId: string, number: string, type: string, validTo = '2026-12-31') =>
      as(u[`focal${country}`], 'post', '/api/v1/licences', { traderId, number, type, hsCodes: ['2805'], validFrom: '2026-01-01', validTo }).expect(201);
    await licence('MX', (await trader('MX', 'MXA-1', 'Minera del Norte SA de CV')).id, 'MX-EXP-1', 'export');
    await licence('MX', (await trader('MX', 'MXB-1', 'Metales Azteca SA')).id, 'MX-EXP-2', 'export', '2026-02-28');
    await licence('BO', (await trader('BO', 'BOI-1', 'Importadora Andina SRL')).id, 'BO-IMP-1', 'import');
    await licence('BO', (await trader('BO', 'BOC-2', 'Comercial Pacifico Ltda')).id, 'BO-IMP-2', 'import');
    await licence('PE', (await trader('PE', 'PEI-1', 'Quimica Lima SAC')).id, 'PE-IMP-1', 'import');
    await licence('CO', (await trader('CO', 'COI-1', 'Dental Bogota SAS')).id, 'CO-IMP-1', 'import');
    const consent = (country: string, reference: string, quantityKg: number) =>
      as(u[`focal${country}`], 'post', '/api/v1/consents', { reference, type: 'written_consent', exportingCountry: 'MX', importingCountry: country, hsCodes: ['280540'], quantityKg, purpose: 'allowed_use', validFrom: '2026-01-01', validTo: '2026-12-31' }).expect(201);
    await consent('BO', 'BO-BIG', 500000);
    await consent('PE', 'PE-BIG', 500000);
    await consent('BO', 'BO-SMALL', 5000);

    // Clean shipments, with noise.
    const names = ['IMPORTADORA ANDINA SRL', 'Importadora Andina S.R.L.', 'importadora andina', 'Importadóra Andina, SRL'];
    for (let n = 0; n < 8; n++) {
      const kg = 1000 + n * 250;
      const numbers = await ship({
        kg, exportDate: addDays('2026-03-01', n * 9), importDate: addDays('2026-03-01', n * 9 + 18 + n * 3),
        importKg: [Math.round(kg * (1 - 0.01 * (n % 3)) * 1000) / 1000], importValueFactor: 1.06 * (1 + 0.03 * ((n % 3) - 1)),
        importer: { ...BOI, name: names[n % names.length] }, consignee: n % 2 ? 'Importadora Andina SRL' : 'IMPORTADORA ANDINA S.R.L.',
      });
      numbers.forEach((x) => clean.add(x));
    }
    for (let n = 0; n < 3; n++) {
      const numbers = await ship({ to: 'PE', kg: 500 + n * 100, exportDate: addDays('2026-04-02', n * 15), importDate: addDays('2026-04-02', n * 15 + 30), document: null, importer: { nationalId: 'PEI-1', name: 'QUÍMICA LIMA S.A.C.' }, consignee: 'Quimica Lima SAC' });
      numbers.forEach((x) => clean.add(x));
    }
    (await ship({ kg: 3000, exportDate: '2026-05-02', importDate: '2026-06-01', importKg: [1800, 1200] })).forEach((x) => clean.add(x));

    // One planted anomaly each.
    const plant = async (code: string, s: Shipment, which = 0) => planted.push([code, (await ship(s))[which]]);
    await plant('QUANTITY_MISMATCH', { kg: 3450, exportDate: '2026-06-03', importKg: [2760] });
    await plant('HS_CODE_MISMATCH', { kg: 2000, exportDate: '2026-06-05', importHs: '251710' });
    await plant('COUNTERPARTY_MISMATCH', { kg: 1500, exportDate: '2026-06-07', importer: { nationalId: 'BOC-2', name: 'Comercial Pacifico Ltda' } });
    await plant('ROUTE_MISMATCH', { kg: 1200, exportDate: '2026-06-09', importer: { nationalId: 'PEI-1', name: 'Quimica Lima SAC', country: 'PE' } });
    await plant('DATE_ANOMALY', { kg: 900, exportDate: '2026-06-11', importDate: '2026-06-01' });
    await plant('VALUE_ANOMALY', { kg: 1100, exportDate: '2026-06-13', importValueFactor: 2.2 });
    await plant('CONSENT_MISSING', { to: 'CO', kg: 700, exportDate: '2026-06-15', importer: { nationalId: 'COI-1', name: 'Dental Bogota SAS' }, consignee: 'Dental Bogota SAS' });
    await plant('LICENCE_INACTIVE', { exporter: { nationalId: 'MXB-1', name: 'Metales Azteca SA' }, kg: 800, exportDate: '2026-03-10' });
    await plant('LICENCE_MISSING', { exporter: { nationalId: 'MXZ-9', name: 'Fantasma SA' }, kg: 600, exportDate: '2026-06-17' });
    (await ship({ kg: 3000, exportDate: '2026-06-19', consent: 'BO-SMALL' })).forEach((x) => clean.add(x));
    await plant('CONSENT_QUANTITY_EXCEEDED', { kg: 3000, exportDate: '2026-06-20', consent: 'BO-SMALL' });
    await plant('NO_IMPORT_YET', { kg: 500, exportDate: '2026-06-21', importDate: null });
    planted.pop(); // an export whose import has not arrived raises nothing yet (the sweep's NO_MATCHING_IMPORT comes later)
    clean.add(`MX-2026-${String(sequence).padStart(6, '0')}`);

    await eventually(async () => {
      const { rows } = await t.db.query(`SELECT count(*)::int AS n FROM declarations WHERE check_status <> 'checked' OR checked_version <> version`);
      const pending = await t.db.query(`SELECT count(*)::int AS n FROM outbox WHERE published_at IS NULL`);
      return rows[0].n === 0 && pending.rows[0].n === 0;
    }, 120_000, 'every declaration to be checked');
  });
  afterAll(async () => {
    worker.kill('SIGTERM');
    await new Promise((resolve) => worker.once('exit', resolve));
    await t.close();
  });

  async function flaggedNumbers(): Promise<Map<string, Set<string>>> {
    const { rows } = await t.db.query(
      `SELECT f.code, d.number FROM flags f JOIN declarations d ON d.id = ANY (f.declaration_ids) WHERE f.holds`,
    );
    const byNumber = new Map<string, Set<string>>();
    for (const r of rows) byNumber.set(r.number, (byNumber.get(r.number) ?? new Set()).add(r.code));
    return byNumber;
  }

  it('raises every planted anomaly with its code', async () => {
    const flagged = await flaggedNumbers();
    for (const [code, number] of planted) {
      expect({ number, codes: [...(flagged.get(number) ?? [])] }).toEqual({ number, codes: expect.arrayContaining([code]) });
    }
  });

  it('raises no flag on any clean shipment', async () => {
    const flagged = await flaggedNumbers();
    const wrongly = [...clean].filter((n) => flagged.has(n)).map((n) => `${n}: ${[...flagged.get(n)!].join(', ')}`);
    expect(wrongly).toEqual([]);
    expect(clean.size).toBeGreaterThan(20);
  });

  it('matches partial shipments, and shows the match from both sides', async () => {
    // Open flags: a check that runs between the two parts of a shipment sees one part and raises a flag
    // that the second part closes (auto-dismissed), depending on when the worker gets to them.
    const list = await as(u.analyst, 'get', '/api/v1/flags?code=QUANTITY_MISMATCH&status=open').expect(200);
    expect(list.body.items).toHaveLength(1);
    expect(list.body.items[0].summary).toMatch(/3,450 kg.*2,760 kg.*20\.0 % less/);
    const { rows } = await t.db.query(`SELECT count(*)::int AS n FROM matches m JOIN declarations e ON e.id = m.export_id WHERE e.number = $1`, ['MX-2026-000012']);
    expect(rows[0].n).toBe(2);
  });
});
