import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { eventually } from '@hgtrace/testing';
import { createUser, startTestApp, type TestApp, type TestUser } from '../support/test-app.js';

const HEADER = readFileSync('examples/declarations.csv', 'utf8').split('\n')[0];

describe('CSV imports', () => {
  let t: TestApp;
  let worker: ChildProcess;
  const u: Record<string, TestUser> = {};

  beforeAll(async () => {
    t = await startTestApp({ UPLOAD_LIMIT_BYTES: String(20 * 1024 * 1024) });
    worker = spawn(process.execPath, ['dist/apps/worker/src/main.js'], { env: { ...process.env, ...t.env, OUTBOX_POLL_MS: '200' }, stdio: 'ignore' });
    u.officerMx = await createUser(t, 'customs_officer', ['MX']);
    u.officerBo = await createUser(t, 'customs_officer', ['BO']);
  });
  afterAll(async () => {
    worker.kill('SIGTERM');
    await new Promise((resolve) => worker.once('exit', resolve));
    await t.close();
  });

  const upload = (user: TestUser, csv: string | Buffer, name = 'declarations.csv') =>
    t.http.post('/api/v1/imports').auth(user.token, { type: 'bearer' }).attach('file', Buffer.isBuffer(csv) ? csv : Buffer.from(csv), name);
  const finished = (user: TestUser, id: string) =>
    eventually(async () => {
      const res = await t.http.get(`/api/v1/imports/${id}`).auth(user.token, { type: 'bearer' }).expect(200);
      return ['completed', 'failed'].includes(res.body.status) ? res.body : undefined;
    }, 30_000, `import ${id} to finish`);

  it('imports the example file of the README cleanly', async () => {
    const res = await upload(u.officerMx, readFileSync('examples/declarations.csv')).expect(202);
    const result = await finished(u.officerMx, res.body.id);
    expect(result).toMatchObject({ status: 'completed', rowsTotal: 3, created: 2, duplicates: 0, rejected: 0, errors: [] });
    const declarations = await t.http.get('/api/v1/declarations?country=MX').auth(u.officerMx.token, { type: 'bearer' }).expect(200);
    const two = declarations.body.items.find((d: { number: string }) => d.number === 'MX-2026-000124');
    expect(two).toMatchObject({ source: 'csv', totalNetMassKg: 37.5, items: [{ hsCode: '285210', netMassKg: 25.5 }, { hsCode: '902511', netMassKg: 12 }] });
    // The same file again: everything is a duplicate.
    const again = await finished(u.officerMx, (await upload(u.officerMx, readFileSync('examples/declarations.csv')).expect(202)).body.id);
    expect(again).toMatchObject({ created: 0, duplicates: 2, rejected: 0 });
  });

  it('stores the good rows and reports the broken ones by row and column', async () => {
    const line = (number: string, change: Record<number, string> = {}) => {
      const cells = ['MX', 'export', number, '2026-03-01', 'MXA-0001', 'Minera del Norte SA de CV', 'Importadora Andina SRL', 'BO', '', 'BO', 'MX', 'MSCU1', '', '', '', 'sea', '280540', 'Mercury', '100', '5000'];
      for (const [i, v] of Object.entries(change)) cells[Number(i)] = v;
      return cells.join(',');
    };
    const csv = [
      HEADER,
      line('MX-CSV-1'), // row 2: good
      line('MX-CSV-2', { 18: '-5' }), // row 3: negative mass
      line('MX-CSV-3', { 16: '28AB' }), // row 4: bad HS code
      line('MX-CSV-4', { 9: 'XX' }), // row 5: unknown country
      line('MX-CSV-5', { 0: 'BO' }), // row 6: another country's declaration
      line('MX-CSV-7'), // row 7: good
      'MX,export,"MX-CSV-6,2026-03-01', // row 8: an unclosed quote (it would swallow any line after it)
    ].join('\n');
    const res = await upload(u.officerMx, csv).expect(202);
    const result = await finished(u.officerMx, res.body.id);
    expect(result.status).toBe('completed');
    expect(result.created).toBe(2);
    expect(result.rejected).toBeGreaterThanOrEqual(4);
    const byRow = Object.fromEntries(result.errors.map((e: { row: number; path: string }) => [e.row, e.path]));
    expect(byRow).toMatchObject({ 3: 'net_mass_kg', 4: 'hs_code', 5: 'partner_country' });
    expect(result.errors.some((e: { row: number }) => e.row === 6)).toBe(true);
    expect(result.errors.find((e: { row: number }) => e.row === 8)?.message).toMatch(/unreadable.*Quote Not Closed/);
    expect(result.rejected).toBe(5);
    const stored = await t.db.query(`SELECT number FROM declarations WHERE number LIKE 'MX-CSV-%' ORDER BY number`);
    expect(stored.rows.map((r) => r.number)).toEqual(['MX-CSV-1', 'MX-CSV-7']);
  });

  it('reports a field PostgreSQL cannot store (a NUL character) on its row and column, and files the rest', async () => {
    const cells = (number: string, trader = 'Minera del Norte SA de CV', container = 'MSCU1') =>
      ['MX', 'export', number, '2026-03-01', 'MXA-0001', trader, 'Importadora Andina SRL', 'BO', '', 'BO', 'MX', 'MSCU1', container, '', '', 'sea', '280540', 'Mercury', '100', '5000'].join(',');
    const csv = [HEADER, cells('MX-NUL-1'), cells('MX-NUL-2', 'Minera\u0000Norte'), cells('MX-NUL-3', undefined, 'AB\u0000C'), cells('MX-NUL-4')].join('\n');
    const result = await finished(u.officerMx, (await upload(u.officerMx, csv).expect(202)).body.id);
    expect(result).toMatchObject({ status: 'completed', created: 2, rejected: 2 });
    expect(result.errors.map((e: { row: number; path: string }) => [e.row, e.path])).toEqual([[3, 'trader_name'], [4, 'containers']]);
    const stored = await t.db.query(`SELECT number FROM declarations WHERE number LIKE 'MX-NUL-%' ORDER BY number`);
    expect(stored.rows.map((r) => r.number)).toEqual(['MX-NUL-1', 'MX-NUL-4']);
  });

  it('fails a file without the required columns, with a message that names them', async () => {
    const result = await finished(u.officerMx, (await upload(u.officerMx, 'number,weight\nA,1\n').expect(202)).body.id);
    expect(result).toMatchObject({ status: 'failed', failure: expect.stringContaining('hs_code') });
  });

  it('refuses a missing file, another content type, and a file over the limit', async () => {
    const none = await t.http.post('/api/v1/imports').auth(u.officerMx.token, { type: 'bearer' }).field('other', 'x').expect(400);
    expect(none.body.details).toEqual([{ path: 'file', message: expect.stringContaining('required') }]);
    await t.http.post('/api/v1/imports').auth(u.officerMx.token, { type: 'bearer' }).send({ file: 'a,b' }).expect(415);
    const big = await upload(u.officerMx, Buffer.alloc(50 * 1024 * 1024, 'a')).expect(413);
    expect(big.body.code).toBe('PAYLOAD_TOO_LARGE');
    expect((await t.db.query(`SELECT count(*)::int AS n FROM imports WHERE size_bytes = 0 OR status = 'uploading'`)).rows[0].n).toBe(0);
  });

  it("keeps an import to its uploader's countries", async () => {
    const res = await upload(u.officerMx, readFileSync('examples/declarations.csv')).expect(202);
    await t.http.get(`/api/v1/imports/${res.body.id}`).auth(u.officerBo.token, { type: 'bearer' }).expect(404);
  });
});
