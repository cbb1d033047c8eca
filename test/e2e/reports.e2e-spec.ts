import { Validator } from '@seriousme/openapi-schema-validator';
import { parse } from 'csv-parse/sync';
import { exportDeclaration } from '../support/factories.js';
import { createUser, type Method, requestAs, startTestApp, type TestApp, type TestUser } from '../support/test-app.js';

const PERIOD = 'country=MX&from=2026-01-01&to=2026-06-30';

/** GET /reports/article21: Mexico's mercury trade in the first half of 2026, from its own declarations. */
describe('Article 21 report', () => {
  let t: TestApp;
  const u: Record<string, TestUser> = {};
  const consents: Record<string, { id: string }> = {};
  const as = (user: TestUser | string, method: Method, path: string, body?: object) => requestAs(t, user, method, path, body);
  const mercury = (netMassKg: number, hsCode = '280540') => ({ hsCode, description: 'Mercury', netMassKg, valueUsd: netMassKg * 50 });
  const exportTo = (partner: string, number: string, date: string, items: object[], consentReference?: string) =>
    as(u.officerMx, 'post', '/api/v1/declarations', exportDeclaration({
      number, date, partnerCountry: partner, counterparty: { name: `Importer in ${partner}`, country: partner }, items, consentReference, licenceNumber: undefined,
    })).expect(201);
  const importFrom = (partner: string, number: string, date: string, items: object[], consentReference?: string) =>
    as(u.officerMx, 'post', '/api/v1/declarations', exportDeclaration({
      flow: 'import', number, date, partnerCountry: partner, originCountry: partner, trader: { nationalId: 'MXI-7', name: 'Dental Supplies SA de CV' },
      counterparty: { name: `Exporter in ${partner}`, country: partner }, items, consentReference, licenceNumber: undefined,
    })).expect(201);

  beforeAll(async () => {
    t = await startTestApp();
    u.focalMx = await createUser(t, 'focal_point', ['MX']);
    u.focalBo = await createUser(t, 'focal_point', ['BO']);
    u.focalPe = await createUser(t, 'focal_point', ['PE']);
    u.officerMx = await createUser(t, 'customs_officer', ['MX']);
    u.officerBo = await createUser(t, 'customs_officer', ['BO']);
    u.analystMx = await createUser(t, 'analyst', ['MX', 'BO']);
    u.analystPe = await createUser(t, 'analyst', ['PE']);
    const consent = (user: TestUser, body: object) =>
      as(user, 'post', '/api/v1/consents', { type: 'written_consent', hsCodes: ['280540'], purpose: 'allowed_use', validTo: '2026-12-31', ...body }).expect(201);
    consents.bo = (await consent(u.focalBo, { reference: 'BO-PIC-1', exportingCountry: 'MX', importingCountry: 'BO', quantityKg: 10000, validFrom: '2026-03-01' })).body;
    consents.pe = (await consent(u.focalPe, { reference: 'PE-PIC-1', exportingCountry: 'MX', importingCountry: 'PE', quantityKg: 2000, validFrom: '2026-01-01', validTo: '2026-06-30' })).body;
    consents.mx = (await consent(u.focalMx, { reference: 'MX-PIC-9', exportingCountry: 'PE', importingCountry: 'MX', quantityKg: 500, validFrom: '2026-01-01' })).body;

    // Exports in the period: on its first and last days, with a cover-code item, in national subdivisions and in decimals.
    await exportTo('BO', 'MX-R-1', '2026-01-01', [mercury(3450), { ...mercury(100, '251710'), description: 'Crushed stone' }], 'BO-PIC-1');
    await exportTo('BO', 'MX-R-2', '2026-06-30', [mercury(1000.5, '28054000')], 'BO-PIC-1');
    await exportTo('BO', 'MX-R-3', '2026-02-01', [mercury(200.1), mercury(0.2)]);
    await exportTo('PE', 'MX-R-4', '2026-03-01', [mercury(1725)], 'PE-PIC-1');
    // Outside the period, cancelled, or no mercury at all: not in the report.
    await exportTo('PE', 'MX-R-5', '2025-12-31', [mercury(300)]);
    await exportTo('PE', 'MX-R-6', '2026-07-01', [mercury(300)]);
    const cancelled = (await exportTo('BO', 'MX-R-7', '2026-04-01', [mercury(500)], 'BO-PIC-1')).body;
    await as(u.officerMx, 'post', `/api/v1/declarations/${cancelled.id}/cancel`, { reason: 'Shipment called off' }).expect(200);
    await exportTo('BO', 'MX-R-8', '2026-04-02', [{ ...mercury(50, '285210'), description: 'Mercury chloride' }, { ...mercury(10, '853931'), description: 'Lamps' }]);
    // Imports.
    await importFrom('PE', 'MX-R-I1', '2026-05-01', [mercury(100)], 'MX-PIC-9');
    await importFrom('AR', 'MX-R-I2', '2026-05-02', [mercury(34.5)]);
    // Bolivia's own declaration of the MX-R-1 shipment is Bolivia's to report, not Mexico's.
    await as(u.officerBo, 'post', '/api/v1/declarations', exportDeclaration({
      country: 'BO', flow: 'import', number: 'BO-R-1', date: '2026-01-20', partnerCountry: 'MX', trader: { nationalId: 'BOI-1', name: 'Importadora Andina SRL' },
      counterparty: { name: 'Minera del Norte', country: 'MX' }, licenceNumber: undefined, consentReference: 'BO-PIC-1',
    })).expect(201);
  });
  afterAll(() => t.close());

  it('sums mercury imports and exports by partner, with the consents used, leaving out other HS codes, other dates and cancelled declarations', async () => {
    const { body } = await as(u.focalMx, 'get', `/api/v1/reports/article21?${PERIOD}`).expect(200);
    expect(body).toEqual({
      country: 'MX', from: '2026-01-01', to: '2026-06-30',
      exports: {
        totalKg: 6375.8,
        declarations: 4,
        byPartner: [
          {
            partnerCountry: 'BO', partnerName: 'Bolivia, Plurinational State of', partnerMinamataPartySince: '2017-08-16', netMassKg: 4650.8, declarations: 3,
            consents: [
              { reference: 'BO-PIC-1', consentId: consents.bo.id, netMassKg: 4450.5, declarations: 2 },
              { reference: null, consentId: null, netMassKg: 200.3, declarations: 1 },
            ],
          },
          {
            partnerCountry: 'PE', partnerName: 'Peru', partnerMinamataPartySince: '2017-08-16', netMassKg: 1725, declarations: 1,
            consents: [{ reference: 'PE-PIC-1', consentId: consents.pe.id, netMassKg: 1725, declarations: 1 }],
          },
        ],
      },
      imports: {
        totalKg: 134.5,
        declarations: 2,
        byPartner: [
          expect.objectContaining({ partnerCountry: 'PE', netMassKg: 100, declarations: 1, consents: [{ reference: 'MX-PIC-9', consentId: consents.mx.id, netMassKg: 100, declarations: 1 }] }),
          expect.objectContaining({ partnerCountry: 'AR', netMassKg: 34.5, declarations: 1, consents: [{ reference: null, consentId: null, netMassKg: 34.5, declarations: 1 }] }),
        ],
      },
      consents: [
        // The cancelled MX-R-7 gave its 500 kg back.
        {
          id: consents.bo.id, reference: 'BO-PIC-1', type: 'written_consent', status: 'active', exportingCountry: 'MX', importingCountry: 'BO', purpose: 'allowed_use',
          validFrom: '2026-03-01', validTo: '2026-12-31', quantityKg: 10000, usedQuantityKg: 4450.5, remainingQuantityKg: 5549.5,
        },
        expect.objectContaining({ id: consents.mx.id, reference: 'MX-PIC-9', exportingCountry: 'PE', importingCountry: 'MX', quantityKg: 500 }),
        expect.objectContaining({ id: consents.pe.id, reference: 'PE-PIC-1', quantityKg: 2000, usedQuantityKg: 1725, remainingQuantityKg: 275 }),
      ],
    });
  });

  it('moves with the period: a day less at either end drops the declarations of that day', async () => {
    const { body } = await as(u.analystMx, 'get', '/api/v1/reports/article21?country=mx&from=2026-01-02&to=2026-06-29').expect(200);
    expect(body.exports.byPartner.map((p: { partnerCountry: string; netMassKg: number; declarations: number }) => [p.partnerCountry, p.netMassKg, p.declarations])).toEqual([['PE', 1725, 1], ['BO', 200.3, 1]]);
    const empty = (await as(u.analystMx, 'get', '/api/v1/reports/article21?country=MX&from=2024-01-01&to=2024-12-31').expect(200)).body;
    expect(empty).toMatchObject({ exports: { totalKg: 0, declarations: 0, byPartner: [] }, imports: { totalKg: 0, declarations: 0, byPartner: [] }, consents: [] });
  });

  it('answers CSV with a header row and a line per flow, partner and consent used', async () => {
    const res = await as(u.analystMx, 'get', `/api/v1/reports/article21?${PERIOD}&format=csv`).expect(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).toBe('attachment; filename="article21-MX-2026-01-01-2026-06-30.csv"');
    const [header, ...lines] = res.text.trimEnd().split('\n');
    expect(header).toBe('country,from,to,flow,partner_country,partner_name,consent_reference,consent_type,consent_status,consent_quantity_kg,consent_used_quantity_kg,net_mass_kg,declarations');
    expect(lines[0]).toBe('MX,2026-01-01,2026-06-30,export,BO,"Bolivia, Plurinational State of",BO-PIC-1,written_consent,active,10000,4450.5,4450.5,2');
    const records: Record<string, string>[] = parse(res.text, { columns: true });
    expect(records.map((r) => [r.flow, r.partner_country, r.consent_reference, r.net_mass_kg, r.declarations])).toEqual([
      ['export', 'BO', 'BO-PIC-1', '4450.5', '2'],
      ['export', 'BO', '', '200.3', '1'],
      ['export', 'PE', 'PE-PIC-1', '1725', '1'],
      ['import', 'PE', 'MX-PIC-9', '100', '1'],
      ['import', 'AR', '', '34.5', '1'],
    ]);
  });

  it('is for admins, and analysts and focal points of the country: 403 for another country or another role', async () => {
    await as(t.adminToken, 'get', `/api/v1/reports/article21?${PERIOD}`).expect(200);
    const other = await as(u.focalBo, 'get', `/api/v1/reports/article21?${PERIOD}`).expect(403);
    expect(other.body).toMatchObject({ statusCode: 403, code: 'FORBIDDEN', message: expect.stringContaining('MX') });
    await as(u.analystPe, 'get', `/api/v1/reports/article21?${PERIOD}&format=csv`).expect(403);
    await as(u.officerMx, 'get', `/api/v1/reports/article21?${PERIOD}`).expect(403);
    await t.http.get(`/api/v1/reports/article21?${PERIOD}`).expect(401);
  });

  it('refuses bad parameters with the path of each', async () => {
    const paths = async (query: string) =>
      [...new Set(((await as(u.focalMx, 'get', `/api/v1/reports/article21?${query}`).expect(400)).body.details as { path: string }[]).map((d) => d.path))].sort();
    expect(await paths('')).toEqual(expect.arrayContaining(['country', 'from', 'to']));
    expect(await paths('country=MX&from=2026-02-30&to=2026-06-30')).toEqual(['from']);
    expect(await paths('country=MX&from=2026-01-01&to=30/06/2026')).toEqual(['to']);
    expect(await paths('country=MEX&from=2026-01-01&to=2026-06-30&format=xml')).toEqual(['country', 'format']);
    expect(await paths('country=XX&from=2026-01-01&to=2026-06-30')).toEqual(['country']);
    expect(await paths('country=MX&from=2026-07-01&to=2026-06-30')).toEqual(['to']);
    expect(await paths(`${PERIOD}&partner=BO`)).toEqual(['partner']);
  });

  it('is described in the OpenAPI document, with the flag export and sort', async () => {
    const { body } = await t.http.get('/api/docs-json').expect(200);
    expect((await new Validator().validate(structuredClone(body))).valid).toBe(true);
    const report = body.paths['/api/v1/reports/article21'].get;
    expect(report.parameters.map((p: { name: string }) => p.name).sort()).toEqual(['country', 'format', 'from', 'to']);
    expect(Object.keys(report.responses['200'].content).sort()).toEqual(['application/json', 'text/csv']);
    expect(Object.keys(body.paths['/api/v1/flags/export.csv'].get.responses['200'].content)).toEqual(['text/csv']);
    const sort = body.paths['/api/v1/flags'].get.parameters.find((p: { name: string }) => p.name === 'sort');
    expect(sort.schema).toMatchObject({ enum: ['date', 'score'], default: 'date' });
  });
});
