import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from '@hgtrace/testing';
import { exportDeclaration } from '../support/factories.js';
import { type Method, type TestApp, type TestUser, createUser, requestAs, startTestApp } from '../support/test-app.js';

/**
 * The statistics a run recomputes: mirror statistics (declarations, and UN Comtrade records for
 * countries that file none) with MIRROR_GAP in closed years, and unit-value fences with VALUE_ANOMALY.
 */
describe('mirror statistics and unit values', () => {
  let t: TestApp;
  let worker: ChildProcess;
  const u: Record<string, TestUser> = {};
  const as = (user: TestUser | string, method: Method, path: string, body?: object) => requestAs(t, user, method, path, body);
  const cli = (...args: string[]) => spawnSync(process.execPath, ['dist/apps/cli/src/main.js', ...args], { env: { ...process.env, ...t.env }, encoding: 'utf8', timeout: 60_000 });
  const run = async (body: object) => {
    const { id } = (await as(u.analyst, 'post', '/api/v1/crosscheck/runs', body).expect(202)).body;
    return eventually(async () => {
      const res = await as(u.analyst, 'get', `/api/v1/crosscheck/runs/${id}`).expect(200);
      return res.body.status === 'completed' ? res.body : undefined;
    }, 60_000, `run ${id}`);
  };
  const flags = async (code: string) =>
    (await t.db.query(`SELECT subject, severity, summary, evidence, holds FROM flags WHERE code = $1 AND holds ORDER BY subject`, [code])).rows;

  const shipment = (n: string, to: string, date: string, kg: number, usdPerKg = 54) =>
    exportDeclaration({
      number: `MX-M-${n}`, date, partnerCountry: to, counterparty: { name: 'Importadora Andina SRL', country: to }, transportDocument: `MSCU77${n}`, containers: [],
      consentReference: undefined, items: [{ hsCode: '280540', description: 'Mercury', netMassKg: kg, valueUsd: Math.round(kg * usdPerKg) }],
    });
  const arrival = (n: string, country: string, date: string, kg: number) =>
    exportDeclaration({
      country, flow: 'import', number: `${country}-M-${n}`, date, partnerCountry: 'MX', transportDocument: `MSCU77${n}`, containers: [],
      trader: { nationalId: `${country}I-1`, name: 'Importadora Andina SRL' }, counterparty: { name: 'Minera del Norte SA de CV', country: 'MX' },
      licenceNumber: undefined, consentReference: undefined, items: [{ hsCode: '280540', description: 'Mercurio', netMassKg: kg, valueUsd: Math.round(kg * 57) }],
    });

  beforeAll(async () => {
    t = await startTestApp();
    worker = spawn(process.execPath, ['dist/apps/worker/src/main.js'], { env: { ...process.env, ...t.env, OUTBOX_POLL_MS: '200' }, stdio: 'ignore' });
    u.officerMx = await createUser(t, 'customs_officer', ['MX']);
    u.officerBo = await createUser(t, 'customs_officer', ['BO']);
    u.officerPe = await createUser(t, 'customs_officer', ['PE']);
    u.analyst = await createUser(t, 'analyst', ['*']);
    u.focalPe = await createUser(t, 'focal_point', ['PE']);

    // 2025, a closed year at the runs' asOf: MX → BO 3 × 1,000 kg of which BO declares two (a third
    // never arrives: a third of the mass unaccounted for); MX → PE 1,000 kg arriving as 990 kg, and a
    // December shipment arriving in January (counted in its export's year: no gap in either).
    // Twenty-one more MX → PE exports at market prices, and one at a tenth of it, for the unit-value fences.
    const exports = [
      shipment('01', 'BO', '2025-03-01', 1000), shipment('02', 'BO', '2025-06-01', 1000), shipment('03', 'BO', '2025-09-01', 1000),
      shipment('04', 'PE', '2025-04-01', 1000), shipment('05', 'PE', '2025-12-20', 500),
      ...Array.from({ length: 21 }, (_, i) => shipment(`1${String(i).padStart(2, '0')}`, 'PE', `2025-05-${String(i + 1).padStart(2, '0')}`, 100, 52 + (i % 5))),
      shipment('99', 'PE', '2025-07-15', 100, 5.4),
    ];
    const batch = async (user: TestUser, declarations: object[]) => {
      const res = await as(user, 'post', '/api/v1/declarations/batch', { declarations }).expect(200);
      expect(res.body.results.every((r: { status: string }) => r.status === 'created')).toBe(true);
    };
    await batch(u.officerMx, exports);
    await batch(u.officerBo, [arrival('01', 'BO', '2025-03-20', 1000), arrival('02', 'BO', '2025-06-25', 1000)]);
    await batch(u.officerPe, [
      arrival('04', 'PE', '2025-04-20', 990), arrival('05', 'PE', '2026-01-10', 500),
      ...Array.from({ length: 21 }, (_, i) => arrival(`1${String(i).padStart(2, '0')}`, 'PE', `2025-06-${String(i + 1).padStart(2, '0')}`, 100)),
      arrival('99', 'PE', '2025-08-01', 100),
    ]);
    await eventually(async () => (await t.db.query(`SELECT count(*)::int AS n FROM declarations WHERE check_status <> 'checked'`)).rows[0].n === 0, 60_000, 'the checks');
  });
  afterAll(async () => {
    worker.kill('SIGTERM');
    await new Promise((resolve) => worker.once('exit', resolve));
    await t.close();
  });

  it('compares what exporters and importers report, and raises MIRROR_GAP where a closed year does not add up', async () => {
    await run({ asOf: '2026-11-01' });
    const mirror = (await as(u.analyst, 'get', '/api/v1/mirror?year=2025&country=MX').expect(200)).body.items;
    expect(mirror).toEqual(expect.arrayContaining([
      expect.objectContaining({ exporter: 'MX', importer: 'BO', year: 2025, hsCode: '280540', exportedKg: 3000, importedKg: 2000, gapKg: 1000, gapRatio: 0.3333, exportSource: 'declarations' }),
      expect.objectContaining({ exporter: 'MX', importer: 'PE', year: 2025, hsCode: '280540', exportedKg: 3700, importedKg: 3690, gapKg: 10 }),
    ]));
    expect(mirror.some((r: { year: number }) => r.year === 2026)).toBe(false);
    const gaps = await flags('MIRROR_GAP');
    expect(gaps).toEqual([expect.objectContaining({ subject: 'mirror:MX:BO:280540:2025', severity: 'medium' })]);
    expect(gaps[0].summary).toBe('HS 280540 in 2025: MX reports 3,000 kg exported to BO, BO reports 2,000 kg imported; 1,000 kg (33.3 %) not accounted for at arrival');
  });

  it('takes UN Comtrade records for a country that files no declarations, and reports what it cannot read', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'comtrade-'));
    const file = join(dir, 'comtrade-2025.csv');
    writeFileSync(file, [
      'typeCode,freqCode,refYear,reporterCode,reporterISO,reporterDesc,flowCode,partnerCode,partnerISO,partnerDesc,cmdCode,netWgt,primaryValue',
      'C,A,2025,170,COL,Colombia,M,484,MEX,Mexico,280540,2500,140000', // CO: 2,500 kg from MX that MX never declared
      'C,A,2025,170,COL,Colombia,M,0,W00,World,280540,2500,140000', // an aggregate partner
      'C,A,2025,170,COL,Colombia,M,484,MEX,Mexico,2805,2500,140000', // a heading total
      'C,A,2025,484,MEX,Mexico,X,170,COL,Colombia,280540,9999,1', // MX files declarations for 2025: its own are used
      'C,A,2025,999,XXX,Nowhere,M,484,MEX,Mexico,280540,10,1', // an unknown reporter
      'C,A,2025,170,COL,Colombia,M,484,MEX,Mexico,280540,-5,1', // a negative mass (second line of the same key: rejected)
    ].join('\n'));
    const loaded = cli('mirror:import', file);
    expect(loaded.stdout).toContain('6 rows read: 2 annual records stored, 2 rejected');
    expect(loaded.stderr).toContain('row 6, reporterISO: "XXX" is not an ISO 3166-1 country code');
    expect(loaded.stderr).toContain('row 7, netWgt: "-5" is not a mass in kg');
    expect(loaded.status).toBe(2);
    // Loading the same file again replaces, never adds.
    expect(cli('mirror:import', file).status).toBe(2);
    expect((await t.db.query(`SELECT reporter, flow, net_mass_kg::float8 AS kg FROM comtrade_records ORDER BY reporter`)).rows).toEqual([
      { reporter: 'CO', flow: 'import', kg: 2500 }, { reporter: 'MX', flow: 'export', kg: 9999 },
    ]);

    await run({ asOf: '2026-11-01' });
    const [row] = (await as(u.analyst, 'get', '/api/v1/mirror?year=2025&country=MX&partner=CO').expect(200)).body.items;
    expect(row).toMatchObject({ exporter: 'MX', importer: 'CO', exportedKg: 0, importedKg: 2500, gapKg: -2500, gapRatio: 1, exportSource: 'declarations', importSource: 'comtrade' });
    expect((await flags('MIRROR_GAP')).map((f) => f.subject)).toEqual(['mirror:MX:BO:280540:2025', 'mirror:MX:CO:280540:2025']);
    expect((await flags('MIRROR_GAP'))[1].summary).toContain('2,500 kg (100.0 %) more arrived than was exported');
  });

  it('raises MIRROR_GAP only past both tolerances, 25 % and 100 kg', async () => {
    // Argentina and its partners file no declarations: their Comtrade records are the mirror.
    const record = (reporter: string, partner: string, flow: string, kg: number) =>
      t.db.query(`INSERT INTO comtrade_records (reporter, partner, flow, year, hs_code, net_mass_kg, value_usd, source) VALUES ($1, $2, $3, 2025, '280540', $4, 0, 'test')`, [reporter, partner, flow, kg]);
    const pairs: [string, number, number][] = [['CL', 1000, 760], ['UY', 1000, 740], ['PY', 100, 10], ['BR', 300, 190], ['EC', 1000, 1249]];
    for (const [partner, exported, imported] of pairs) {
      await record('AR', partner, 'export', exported);
      await record(partner, 'AR', 'import', imported);
    }
    await run({ asOf: '2026-11-01' });
    const subjects = (await flags('MIRROR_GAP')).map((f) => f.subject).filter((s: string) => s.startsWith('mirror:AR:'));
    // CL: 240 kg, 24 % (under 25 %); UY: 260 kg, 26 %; PY: 90 kg (under 100 kg) at 90 %; BR: 110 kg, 36.7 %; EC: 249 kg, 19.9 % the other way.
    expect(subjects).toEqual(['mirror:AR:BR:280540:2025', 'mirror:AR:UY:280540:2025']);
    const [row] = (await as(u.analyst, 'get', '/api/v1/mirror?country=AR&partner=EC').expect(200)).body.items;
    expect(row).toMatchObject({ exportedKg: 1000, importedKg: 1249, gapKg: -249, gapRatio: 0.1994, exportSource: 'comtrade', importSource: 'comtrade' });
  });

  it('refuses bad files and bad queries with a clear message', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'comtrade-'));
    writeFileSync(join(dir, 'wrong.csv'), 'country,number,date\nMX,1,2025-01-01\n');
    const wrong = cli('mirror:import', join(dir, 'wrong.csv'));
    expect(wrong.status).toBe(1);
    expect(wrong.stderr).toContain('no reporter column');
    const missing = cli('mirror:import', join(dir, 'absent.csv'));
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('does not exist');
    expect((await as(u.analyst, 'get', '/api/v1/mirror?year=twenty').expect(400)).body.details[0].path).toBe('year');
    expect((await as(u.analyst, 'get', '/api/v1/mirror?partner=BO').expect(400)).body.details[0].path).toBe('partner');
    expect((await as(u.analyst, 'get', '/api/v1/mirror?hsCode=2805').expect(400)).body.details[0].path).toBe('hsCode');
  });

  it('shows a focal point only the pairs of its country, and no customs officer', async () => {
    const items = (await as(u.focalPe, 'get', '/api/v1/mirror').expect(200)).body.items;
    expect(items.length).toBeGreaterThan(0);
    expect(items.every((r: { exporter: string; importer: string }) => r.exporter === 'PE' || r.importer === 'PE')).toBe(true);
    await as(u.officerMx, 'get', '/api/v1/mirror').expect(403);
  });

  it('raises VALUE_ANOMALY for a unit value outside the Tukey fences of its HS code and year, and only for it', async () => {
    const anomalies = (await flags('VALUE_ANOMALY')).filter((f) => f.subject.startsWith('unit-value:'));
    expect(anomalies).toHaveLength(1);
    expect(anomalies[0]).toMatchObject({ severity: 'medium', summary: expect.stringMatching(/^Export MX-M-99 to PE: HS 280540 at 5\.40 USD\/kg, below the 2025 range of [\d.,]+ USD\/kg to [\d.,]+ USD\/kg \(5\d items\)$/) });
    expect(anomalies[0].evidence.items[0]).toMatchObject({ unitValueUsdPerKg: 5.4, extreme: true });
    expect(anomalies[0].evidence.tukeyK).toBe(1.5);
  });
});
