import { DataSource } from 'typeorm';
import { RouteExports } from '@hgtrace/crosscheck';
import { exportDeclaration } from '../support/factories.js';
import { type Method, type TestApp, type TestUser, createUser, requestAs, startTestApp } from '../support/test-app.js';

/**
 * A run's slice holds its routes' exports from one chunk to the next: it must never weigh rivals as
 * they were before a filing, amendment or cancellation that has committed, and must not read again
 * what nothing has changed.
 */
describe('route exports held by a run', () => {
  let t: TestApp;
  let dataSource: DataSource;
  const u: Record<string, TestUser> = {};
  const as = (user: TestUser | string, method: Method, path: string, body?: object) => requestAs(t, user, method, path, body);
  const file = async (overrides: object) => (await as(u.officerMX, 'post', '/api/v1/declarations', exportDeclaration({ transportDocument: undefined, containers: [], ...overrides })).expect(201)).body;
  const mercury = (kg: number) => [{ hsCode: '280540', netMassKg: kg, valueUsd: kg * 50 }];
  const generation = async (partner: string) =>
    (await t.db.query(`SELECT generation::int FROM export_route_generations WHERE country = 'MX' AND partner_country = $1`, [partner])).rows[0]?.generation ?? 0;
  const read = async (held: RouteExports, from: string, to: string) => (await held.read(dataSource.manager, [{ country: 'MX', partner: 'BO', from, to }])).get('MX|BO')!;
  const shown = (rows: { date: string; kg: number }[], from = '0000', to = '9999') => rows.filter((r) => r.date >= from && r.date <= to).map((r) => `${r.date} ${r.kg}`);

  beforeAll(async () => {
    t = await startTestApp();
    dataSource = t.app.get(DataSource);
    u.officerMX = await createUser(t, 'customs_officer', ['MX']);
    u.officerBO = await createUser(t, 'customs_officer', ['BO']);
  });
  afterAll(async () => {
    await t.close();
  });

  it('reads only what it does not hold, and again whatever a committed change touched', async () => {
    await file({ date: '2026-03-01', items: mercury(100) });
    const heavy = await file({ date: '2026-03-10', items: mercury(300) });
    await file({ date: '2026-03-20', items: mercury(200) });
    await file({ date: '2026-03-05', partnerCountry: 'PE', counterparty: { name: 'Quimica Lima SAC', country: 'PE' }, items: mercury(50) });
    const held = RouteExports.kept();

    const first = await read(held, '2026-03-01', '2026-03-15');
    expect(shown(first)).toEqual(['2026-03-01 100', '2026-03-10 300']);
    // Nothing changed: the same list, not read again.
    expect(await read(held, '2026-03-01', '2026-03-15')).toBe(first);
    // Moving on in date order: the later dates are read, the earlier let go; lightest first.
    const later = await read(held, '2026-03-05', '2026-03-25');
    expect(shown(later)).toEqual(['2026-03-20 200', '2026-03-10 300']);

    // Marking declarations checked changes nothing the pair check reads of its rivals; neither does an import.
    const before = await generation('BO');
    await t.db.query(`UPDATE declarations SET check_status = 'checked', checked_version = version`);
    await as(u.officerBO, 'post', '/api/v1/declarations', exportDeclaration({ country: 'BO', flow: 'import', partnerCountry: 'MX', number: 'BO-I-1', date: '2026-03-12',
      trader: { nationalId: 'BOI-1', name: 'Importadora Andina SRL' }, counterparty: { name: 'Minera del Norte SA de CV', country: 'MX' }, licenceNumber: undefined, consentReference: undefined })).expect(201);
    expect(await generation('BO')).toBe(before);
    expect(await read(held, '2026-03-05', '2026-03-25')).toBe(later);

    // A filing on the route, an amendment and a cancellation each show on the next read.
    await file({ date: '2026-03-12', items: mercury(250) });
    expect(shown(await read(held, '2026-03-05', '2026-03-25'))).toEqual(['2026-03-20 200', '2026-03-12 250', '2026-03-10 300']);
    const current = (await as(u.officerMX, 'get', `/api/v1/declarations/${heavy.id}`).expect(200)).body;
    await as(u.officerMX, 'put', `/api/v1/declarations/${heavy.id}`, exportDeclaration({ number: current.number, date: '2026-03-10', transportDocument: undefined, containers: [], items: mercury(310), version: current.version })).expect(200);
    expect(shown(await read(held, '2026-03-05', '2026-03-25'))).toEqual(['2026-03-20 200', '2026-03-12 250', '2026-03-10 310']);
    await as(u.officerMX, 'post', `/api/v1/declarations/${heavy.id}/cancel`, { reason: 'Filed twice' }).expect(200);
    expect(shown(await read(held, '2026-03-05', '2026-03-25'))).toEqual(['2026-03-20 200', '2026-03-12 250']);
    // Another route's change leaves this one's as held.
    const held2 = await read(held, '2026-03-05', '2026-03-25');
    await file({ date: '2026-03-06', partnerCountry: 'PE', counterparty: { name: 'Quimica Lima SAC', country: 'PE' }, items: mercury(60) });
    expect(await read(held, '2026-03-05', '2026-03-25')).toBe(held2);
  });

  it('reads names, dates and masses exactly as stored, whatever the names hold', async () => {
    // Names may hold anything but NUL: the read joins ids, dates and masses by commas and carries names as JSON.
    const names = ['Comercial, "Andina" SRL', 'Tab\there\nand a new line', 'Back\\slash \\t not a tab', 'Ñandú Químicos 株式会社 🚢', "O'Brien & Co."];
    const masses = [0.001, 12.345, 3450, 999999.999, 0.1];
    const filed = [];
    for (const [i, name] of names.entries()) {
      filed.push(await file({ date: `2026-05-0${i + 1}`, trader: { nationalId: `MXN-${i}`, name }, counterparty: { name: names[names.length - 1 - i], country: 'BO' }, items: [{ hsCode: '280540', netMassKg: masses[i], valueUsd: 10 }] }));
    }
    const rows = (await RouteExports.once().read(dataSource.manager, [{ country: 'MX', partner: 'BO', from: '2026-05-01', to: '2026-05-31' }])).get('MX|BO')!;
    const stored = (await t.db.query(`SELECT id, to_char(date, 'YYYY-MM-DD') AS date, trader_name, counterparty_name, total_net_mass_kg::float8 AS kg
                                        FROM declarations WHERE id = ANY ($1) ORDER BY total_net_mass_kg`, [filed.map((d) => d.id)])).rows;
    expect(rows).toEqual(stored);
    expect(rows.map((r) => r.trader_name).sort()).toEqual([...names].sort());
    // A route without exports in the dates asked for reads as empty.
    expect((await RouteExports.once().read(dataSource.manager, [{ country: 'MX', partner: 'BO', from: '2027-01-01', to: '2027-01-31' }])).get('MX|BO')).toEqual([]);
  });

  it('once() keeps nothing: each read is of the database as it stands', async () => {
    const once = RouteExports.once();
    const a = await read(once, '2026-04-01', '2026-04-30');
    expect(a).toEqual([]);
    await file({ date: '2026-04-02', items: mercury(70) });
    expect(shown(await read(once, '2026-04-01', '2026-04-30'))).toEqual(['2026-04-02 70']);
  });
});
