import { assignAttributeMatches, CheckService, DEFAULT_MATCHING_OPTIONS, matchBasis, selectMatches, type ShipmentFacts } from '@hgtrace/crosscheck';
import { addDays, seededRandom } from '@hgtrace/testing';
import { type Method, type TestApp, type TestUser, createUser, requestAs, startTestApp } from '../support/test-app.js';

/**
 * A dense route: undocumented exports by the dozen competing for the same undocumented imports in the
 * same weeks, masses that tie (one item or two summing to the same), names alike and not, exports whose
 * documents tie them to an import (no rivals) and exports whose documents tie them to nothing (rivals),
 * a cancelled export. The pair check weighs only the rivals it needs; what it stores must be what the
 * one-to-one assignment over every rival of the route gives, computed here from the bodies filed.
 */
describe('attribute matches on a dense route', () => {
  let t: TestApp;
  const u: Record<string, TestUser> = {};
  const as = (user: TestUser | string, method: Method, path: string, body?: object) => requestAs(t, user, method, path, body);

  beforeAll(async () => {
    t = await startTestApp();
    for (const c of ['MX', 'BO']) u[`system${c}`] = await createUser(t, 'system', [c]);
  });
  afterAll(async () => {
    await t.close();
  });

  it.each([
    [11, 2025],
    [12, 2026],
  ])('seed %i (%i): each export takes what the assignment over all its rivals gives it', async (seed, year) => {
    const random = seededRandom(seed);
    const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)];
    const masses = [1000, 1000, 1001, 999.5, 1500, 2000, 34.5, 3450, 3449.5, 250.25, 1200, 1010];
    // Spellings the same once normalised, others alike by trigrams only (0.54 and 0.60 against the first), and others not alike.
    const consignees = ['Importadora Andina SRL', 'IMPORTADORA ANDINA S.R.L.', 'Importadora Andína', 'Andina Importaciones', 'Impor. Andina', 'Comercial Pacifico Ltda', 'Quimica Lima SAC'];
    const items = (kg: number, hs = '280540') =>
      random() < 0.3 ? [{ hsCode: hs, netMassKg: kg / 2 - 0.25, valueUsd: 100 }, { hsCode: hs, netMassKg: kg / 2 + 0.25, valueUsd: 100 }] : [{ hsCode: hs, netMassKg: kg, valueUsd: 100 }];
    const exports: Record<string, any>[] = [];
    const imports: Record<string, any>[] = [];
    for (let n = 0; n < 90; n++) {
      const kind = random();
      const document = kind < 0.15 ? `TIED${seed}${n}` : kind < 0.35 ? `LOOSE${seed}${n}` : undefined;
      const date = addDays(`${year}-03-01`, Math.floor(random() * 90));
      exports.push({
        country: 'MX', flow: 'export', number: `MX-D${seed}-${String(n).padStart(3, '0')}`, date, trader: { nationalId: 'MXA-1', name: 'Minera del Norte SA de CV' },
        counterparty: { name: pick(consignees), country: 'BO' }, partnerCountry: 'BO', originCountry: 'MX', transportDocument: document, transportMode: 'road',
        items: items(pick(masses), random() < 0.1 ? '285210' : '280540'),
      });
      if (document?.startsWith('TIED')) {
        imports.push({
          country: 'BO', flow: 'import', number: `BO-T${seed}-${n}`, date: addDays(date, 10), trader: { nationalId: 'BOI-1', name: pick(consignees) },
          counterparty: { name: 'MINERA DEL NORTE S.A. DE C.V.', country: 'MX' }, partnerCountry: 'MX', originCountry: 'MX', transportDocument: document, transportMode: 'road',
          items: items(pick(masses)),
        });
      }
    }
    for (let n = 0; n < 50; n++) {
      imports.push({
        country: 'BO', flow: 'import', number: `BO-D${seed}-${String(n).padStart(3, '0')}`, date: addDays(`${year}-03-10`, Math.floor(random() * 100)),
        trader: { nationalId: 'BOI-1', name: pick(consignees) }, counterparty: { name: pick(['MINERA DEL NORTE S.A. DE C.V.', 'Minera del Norte', 'Proveedor Desconocido']), country: 'MX' },
        partnerCountry: 'MX', originCountry: 'MX', transportMode: 'road', items: items(pick(masses)),
      });
    }
    for (const [country, bodies] of [['MX', exports], ['BO', imports]] as const) {
      const res = await as(u[`system${country}`], 'post', '/api/v1/declarations/batch', { declarations: bodies }).expect(200);
      expect(res.body.results.filter((r: { status: string }) => r.status !== 'created')).toEqual([]);
    }
    const cancelled = exports[3];
    const { rows: [{ id: cancelledId }] } = await t.db.query(`SELECT id FROM declarations WHERE number = $1`, [cancelled.number]);
    await as(u.systemMX, 'post', `/api/v1/declarations/${cancelledId}/cancel`, { reason: 'filed twice' }).expect(200);

    const { rows: stored } = await t.db.query(
      `SELECT id, version, number, status, transport_document_key AS key, total_net_mass_kg::text AS total,
              (SELECT sum(net_mass_kg)::text FROM declaration_items i WHERE i.declaration_id = d.id) AS items_total
         FROM declarations d WHERE number LIKE $1 OR number LIKE $2 ORDER BY random()`,
      [`MX-D${seed}-%`, `BO-%${seed}-%`],
    );
    // The rivals are walked by the total net mass stored with the declaration: it must be its items' sum.
    expect(stored.filter((r) => Number(r.total) !== Number(r.items_total))).toEqual([]);
    const checks = t.app.get(CheckService);
    const requests = stored.map((r) => ({ declarationId: r.id, version: r.version }));
    for (let i = 0; i < requests.length; ) {
      const size = 1 + Math.floor(random() * 40);
      await checks.checkMany(requests.slice(i, i + size));
      i += size;
    }

    // The reference: every export's candidates and rivals, in full, from the bodies.
    const byNumber = new Map(stored.map((r) => [r.number, r]));
    const facts = (b: Record<string, any>): ShipmentFacts => ({
      id: byNumber.get(b.number)!.id, country: b.country, flow: b.flow, number: b.number, date: b.date, traderName: b.trader.name, counterpartyName: b.counterparty.name,
      counterpartyCountry: b.counterparty.country, partnerCountry: b.partnerCountry, originCountry: b.originCountry, transportDocumentKey: byNumber.get(b.number)!.key,
      containerKeys: [], items: b.items.map((i: { hsCode: string; netMassKg: number; valueUsd: number }) => ({ ...i, mercuryClass: 'mercury' as const })),
    });
    const options = DEFAULT_MATCHING_OPTIONS;
    const liveExports = exports.filter((b) => b !== cancelled).map(facts);
    const allImports = imports.map(facts);
    const tied = (e: ShipmentFacts) => e.transportDocumentKey !== null && allImports.some((i) => i.transportDocumentKey === e.transportDocumentKey);
    const rivals = liveExports.filter((e) => !tied(e));
    const expected: { export: string; import: string }[] = [];
    for (const exp of liveExports) {
      // An import its document ties to another export is that export's.
      const candidates = allImports.filter((i) => i.transportDocumentKey === null || !liveExports.some((o) => o !== exp && o.transportDocumentKey === i.transportDocumentKey));
      const { matches } = selectMatches(exp, candidates, options);
      if (matches.length === 0 || matches.some((m) => m.basis !== 'attributes')) continue;
      const mine = assignAttributeMatches([exp, ...rivals.filter((r) => r !== exp)], candidates.filter((i) => matchBasis(exp, i, options) === 'attributes'), options).get(exp.id);
      if (mine) expected.push({ export: exp.number, import: mine.number });
    }
    const { rows: found } = await t.db.query(
      `SELECT e.number AS export, i.number AS import FROM matches m JOIN declarations e ON e.id = m.export_id JOIN declarations i ON i.id = m.import_id
        WHERE m.basis = 'attributes' AND e.number LIKE $1 ORDER BY 1, 2`,
      [`MX-D${seed}-%`],
    );
    expected.sort((a, b) => (a.export < b.export ? -1 : 1));
    expect(expected.length).toBeGreaterThan(15);
    expect(found).toEqual(expected);
  }, 120_000);
});
