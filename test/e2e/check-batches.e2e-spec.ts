import { Env } from '@hgtrace/config';
import { CheckService, COMPLIANCE_CODES, PAIR_CODES, RunsService } from '@hgtrace/crosscheck';
import { addDays, seededRandom } from '@hgtrace/testing';
import { type Method, type TestApp, type TestUser, createUser, requestAs, startTestApp } from '../support/test-app.js';

/**
 * Background checks in batches, in any order, must end where a full run ends: the declarations of a
 * busy route (documented and undocumented shipments, documents written differently, containers only,
 * split shipments, competing undocumented exports in the same weeks, missing and orphan imports) are
 * filed shuffled, imports often before their exports, checked in batches of random sizes, some at
 * the same time; then a run re-checks everything and must change no match and no flag.
 */
describe('checks in batches agree with a run', () => {
  let t: TestApp;
  const u: Record<string, TestUser> = {};
  const as = (user: TestUser | string, method: Method, path: string, body?: object) => requestAs(t, user, method, path, body);

  /** Export and import bodies of `count` shipments from MX to BO and PE in the year given. */
  function shipments(seed: number, count: number, year: number): Record<string, unknown>[] {
    const random = seededRandom(seed);
    const pick = <T>(list: T[]) => list[Math.floor(random() * list.length)];
    const bodies: Record<string, unknown>[] = [];
    const consignees = ['Importadora Andina SRL', 'IMPORTADORA ANDINA S.R.L.', 'Quimica Lima SAC', 'Comercial Pacifico Ltda'];
    for (let n = 0; n < count; n++) {
      const to = random() < 0.75 ? 'BO' : 'PE';
      const kg = Math.round(200 + random() * 3000);
      const date = addDays(`${year}-02-01`, Math.floor(random() * 200));
      const consignee = pick(consignees);
      const hs = random() < 0.8 ? '280540' : '285210';
      const kind = random();
      // Documents: both sides (written differently at times), containers only, export only, import only, neither.
      const documented = kind < 0.45 ? 'both' : kind < 0.55 ? 'containers' : kind < 0.65 ? 'export' : kind < 0.75 ? 'import' : 'neither';
      const document = `MSCU${seed}${String(n).padStart(6, '0')}`;
      const container = `TGHU${seed}${String(n).padStart(6, '0')}`;
      const docs = (side: 'export' | 'import') => ({
        transportDocument: documented === 'both' || documented === side ? (side === 'import' && random() < 0.3 ? document.toLowerCase().replace(/^(.{4})/, '$1-') : document) : undefined,
        containers: documented === 'containers' ? [container] : undefined,
      });
      const number = `${year}-${seed}-${n}`;
      bodies.push({
        country: 'MX', flow: 'export', number: `MX-${number}`, date, trader: { nationalId: 'MXA-1', name: 'Minera del Norte SA de CV' },
        counterparty: { name: consignee, country: to }, partnerCountry: to, originCountry: 'MX', ...docs('export'), transportMode: 'sea',
        items: [{ hsCode: hs, netMassKg: kg, valueUsd: kg * 54 }],
      });
      const fate = random();
      if (fate < 0.08) continue; // never arrives
      const parts = fate < 0.16 ? [Math.round(kg * 0.6), kg - Math.round(kg * 0.6)] : [fate < 0.22 ? Math.round(kg * 1.4) : kg];
      parts.forEach((partKg, i) =>
        bodies.push({
          country: to, flow: 'import', number: `${to}-${number}-${i}`, date: addDays(date, 5 + Math.floor(random() * 40)),
          trader: { nationalId: `${to}I-1`, name: consignee }, counterparty: { name: 'MINERA DEL NORTE S.A. DE C.V.', country: 'MX' }, partnerCountry: 'MX', originCountry: 'MX',
          ...docs('import'), transportMode: 'sea', items: [{ hsCode: fate > 0.95 ? '251710' : hs, netMassKg: partKg, valueUsd: Math.round(partKg * 57) }],
        }),
      );
      // Now and then, an import nobody exported.
      if (random() < 0.05) {
        bodies.push({
          country: to, flow: 'import', number: `${to}-${number}-orphan`, date: addDays(date, 3), trader: { nationalId: `${to}I-1`, name: consignee },
          counterparty: { name: 'Proveedor Desconocido', country: 'MX' }, partnerCountry: 'MX', originCountry: 'MX', transportMode: 'sea',
          items: [{ hsCode: hs, netMassKg: kg, valueUsd: kg * 50 }],
        });
      }
    }
    // Shuffled: imports often arrive before their exports.
    for (let i = bodies.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [bodies[i], bodies[j]] = [bodies[j], bodies[i]];
    }
    return bodies;
  }

  const snapshot = async () => ({
    matches: (await t.db.query(`SELECT e.number AS export, i.number AS import, m.basis FROM matches m JOIN declarations e ON e.id = m.export_id JOIN declarations i ON i.id = m.import_id ORDER BY 1, 2`)).rows,
    flags: (
      await t.db.query(
        `SELECT code, subject, summary FROM flags WHERE holds AND code = ANY ($1) AND (subject LIKE 'export:%' OR subject LIKE 'declaration:%') ORDER BY code, subject`,
        [[...PAIR_CODES, ...COMPLIANCE_CODES]],
      )
    ).rows,
  });

  beforeAll(async () => {
    t = await startTestApp();
    for (const c of ['MX', 'BO', 'PE']) u[`system${c}`] = await createUser(t, 'system', [c]);
    u.analyst = await createUser(t, 'analyst', ['*']);
  });
  afterAll(async () => {
    await t.close();
  });

  it('undocumented exports competing for the same imports share them out one to one, however they are batched', async () => {
    // Alone, each export fits the 1,005 kg import best; together, the closer fit takes it and the other gets the 1,200 kg one.
    const exp = (n: string, date: string, kg: number) => ({
      country: 'MX', flow: 'export', number: `MX-RIVAL-${n}`, date, trader: { nationalId: 'MXA-1', name: 'Minera del Norte SA de CV' },
      counterparty: { name: 'Importadora Andina SRL', country: 'BO' }, partnerCountry: 'BO', originCountry: 'MX', transportMode: 'road',
      items: [{ hsCode: '280540', netMassKg: kg, valueUsd: kg * 54 }],
    });
    const imp = (n: string, date: string, kg: number) => ({
      country: 'BO', flow: 'import', number: `BO-RIVAL-${n}`, date, trader: { nationalId: 'BOI-1', name: 'Importadora Andina SRL' },
      counterparty: { name: 'Minera del Norte SA de CV', country: 'MX' }, partnerCountry: 'MX', originCountry: 'MX', transportMode: 'road',
      items: [{ hsCode: '280540', netMassKg: kg, valueUsd: kg * 57 }],
    });
    const matches = async () =>
      (await t.db.query(`SELECT e.number AS export, i.number AS import FROM matches m JOIN declarations e ON e.id = m.export_id JOIN declarations i ON i.id = m.import_id
                          WHERE e.number LIKE 'MX-RIVAL-%' ORDER BY 1`)).rows;
    const expected = [{ export: 'MX-RIVAL-1', import: 'BO-RIVAL-2' }, { export: 'MX-RIVAL-2', import: 'BO-RIVAL-1' }];
    await as(u.systemMX, 'post', '/api/v1/declarations/batch', { declarations: [exp('1', '2023-03-01', 1000), exp('2', '2023-03-20', 1010)] }).expect(200);
    await as(u.systemBO, 'post', '/api/v1/declarations/batch', { declarations: [imp('1', '2023-04-10', 1005), imp('2', '2023-04-12', 1200)] }).expect(200);
    const { rows } = await t.db.query(`SELECT id, version, number FROM declarations WHERE number LIKE '%-RIVAL-%' ORDER BY number`);
    const request = (r: { id: string; version: number }) => ({ declarationId: r.id, version: r.version });
    const checks = t.app.get(CheckService);
    // One batch holding all four, then one at a time in both orders.
    await checks.checkMany(rows.map(request));
    expect(await matches()).toEqual(expected);
    for (const order of [rows, [...rows].reverse()]) {
      await t.db.query(`DELETE FROM matches m USING declarations e WHERE e.id = m.export_id AND e.number LIKE 'MX-RIVAL-%'`);
      for (const r of order) await checks.checkMany([request(r)]);
      expect(await matches()).toEqual(expected);
    }
  });

  // The last case checks everything in one batch: the undocumented exports of both routes and of the
  // whole year compete in it, and their rivals are read once per route for all of them.
  it.each([
    [1, 2025, 40],
    [2, 2026, 40],
    [3, 2024, 1000],
  ])('seed %i (%i): batched checks in shuffled order leave what a run leaves, batches of up to %i declarations', async (seed, year, maxBatch) => {
    const bodies = shipments(seed, 120, year);
    for (const country of ['MX', 'BO', 'PE']) {
      const own = bodies.filter((b) => b.country === country);
      for (let i = 0; i < own.length; i += 60) {
        const res = await as(u[`system${country}`], 'post', '/api/v1/declarations/batch', { declarations: own.slice(i, i + 60) }).expect(200);
        expect(res.body.results.filter((r: { status: string }) => r.status !== 'created')).toEqual([]);
      }
    }
    const { rows: filed } = await t.db.query(`SELECT id, version FROM declarations WHERE number LIKE $1 ORDER BY random()`, [`%${year}-${seed}-%`]);
    expect(filed.length).toBe(bodies.length);

    // Batches of 1 to maxBatch, three at a time, in the order the declarations came.
    const checks = t.app.get(CheckService);
    const random = seededRandom(seed * 7);
    const batches: { declarationId: string; version: number }[][] = [];
    for (let i = 0; i < filed.length; ) {
      const size = maxBatch >= filed.length ? filed.length : 1 + Math.floor(random() * maxBatch);
      batches.push(filed.slice(i, i + size).map((r) => ({ declarationId: r.id, version: r.version })));
      i += size;
    }
    for (let i = 0; i < batches.length; i += 3) {
      const outcomes = await Promise.all(batches.slice(i, i + 3).map((b) => checks.checkMany(b)));
      expect(outcomes.flat().every((o) => o === 'checked')).toBe(true);
    }
    const checked = await snapshot();
    expect(checked.matches.length).toBeGreaterThan(bodies.length / 3);
    expect(checked.flags.map((f) => f.code)).toEqual(expect.arrayContaining(['QUANTITY_MISMATCH', 'HS_CODE_MISMATCH']));

    // A run in one slice, then in five walked at once: the same matches and flags.
    const env = t.app.get(Env);
    const concurrency = env.RUN_CONCURRENCY;
    try {
      for (const slices of [1, 5]) {
        env.RUN_CONCURRENCY = slices;
        const run = (await as(u.analyst, 'post', '/api/v1/crosscheck/runs', {}).expect(202)).body;
        await t.app.get(RunsService).execute(run.id);
        expect((await as(u.analyst, 'get', `/api/v1/crosscheck/runs/${run.id}`).expect(200)).body).toMatchObject({ status: 'completed', done: expect.any(Number) });
        expect((await t.db.query(`SELECT slices FROM crosscheck_runs WHERE id = $1`, [run.id])).rows[0].slices).toBe(slices);
        expect(await snapshot()).toEqual(checked);
      }
    } finally {
      env.RUN_CONCURRENCY = concurrency;
    }
  }, 180_000);
});
