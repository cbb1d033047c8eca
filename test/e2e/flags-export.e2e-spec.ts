import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { parse } from 'csv-parse/sync';
import { eventually } from '@hgtrace/testing';
import { createUser, requestAs, startTestApp, type TestApp, type TestUser } from '../support/test-app.js';

const BULK = 100_000;
const HEADER = 'id,code,severity,score,status,countries,declaration_numbers,summary,assignee_email,created_at,updated_at';
const TRICKY = 'Export MX-2026-9 of 3,450 kg: the consignee wrote "urgent, keep quiet"\nand signed "J. Pérez"';

// A full garbage collection on demand, so that heap samples count what is live, not garbage not yet collected.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const liveHeap = () => {
  gc();
  return process.memoryUsage().heapUsed;
};

/**
 * GET /flags/export.csv: the list's filters and sort as CSV, streamed from a server-side cursor. The
 * api runs in this process, so the heap measured while downloading is the server's.
 */
describe('flag export', () => {
  let t: TestApp;
  const u: Record<string, TestUser> = {};
  let base: string;

  /** Sessions of the test database other than ours that are inside a transaction (an open cursor). */
  const openTransactions = async () =>
    (await t.db.query(`SELECT state, query FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND state IN ('active', 'idle in transaction')`)).rows;

  /** A streamed download: `onChunk` sees each chunk as it arrives; nothing is kept. */
  const download = (path: string, user: TestUser, onChunk: (chunk: Buffer, request: http.ClientRequest, response: http.IncomingMessage) => void | Promise<void>) =>
    new Promise<{ response: http.IncomingMessage; bytes: number; lines: number }>((resolve, reject) => {
      const request = http.get(`${base}${path}`, { headers: { authorization: `Bearer ${user.token}` }, agent: false }, (response) => {
        let bytes = 0;
        let lines = 0;
        response.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
          for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines += 1;
          void onChunk(chunk, request, response);
        });
        response.on('end', () => resolve({ response, bytes, lines }));
        response.on('error', reject);
      });
      request.on('error', reject);
    });

  beforeAll(async () => {
    t = await startTestApp();
    await t.app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
    u.analystAll = await createUser(t, 'analyst', ['*']);
    u.analystMx = await createUser(t, 'analyst', ['MX']);
    u.analystPe = await createUser(t, 'analyst', ['PE']);
    u.officerMx = await createUser(t, 'customs_officer', ['MX']);

    const declaration = await t.db.query(
      `INSERT INTO declarations (country, number, flow, date, trader_national_id, trader_name, counterparty_name, counterparty_country, partner_country, origin_country,
                                 total_net_mass_kg, total_value_usd, content_hash, source)
       VALUES ('MX', 'MX-2026-9', 'export', '2026-03-01', 'MXA-1', 'Minera del Norte', 'Importadora Andina', 'BO', 'BO', 'MX', 3450, 1000, 'x', 'api') RETURNING id`,
    );
    await t.db.query(
      `INSERT INTO flags (code, subject, severity, score, summary, countries, declaration_ids, assignee_id, status, created_at) VALUES
         ('CONSENT_QUANTITY_EXCEEDED', 'export:tricky', 'high', 0.9, $1, ARRAY['BO', 'MX'], ARRAY[$2::uuid], $3, 'in_review', '2026-03-02T10:00:00Z'),
         ('LICENCE_MISSING', 'export:mx', 'medium', 0.6, '=HYPERLINK("http://evil")', ARRAY['MX'], '{}', NULL, 'open', '2026-03-03T10:00:00Z'),
         ('ROUTE_MISMATCH', 'export:pe', 'low', 0.3, 'Shipment to PE', ARRAY['MX', 'PE'], '{}', NULL, 'open', '2026-03-04T10:00:00Z')`,
      [TRICKY, declaration.rows[0].id, u.analystMx.id],
    );
    // 100,000 flags of another pair of countries, with summaries long enough to weigh about 35 MB as CSV.
    await t.db.query(
      `INSERT INTO flags (code, subject, severity, score, summary, countries, created_at)
       SELECT 'MIRROR_GAP', 'bulk:' || g, 'low', (g % 1000) / 1000.0, 'Mirror gap ' || g || ': ' || repeat('AR exported more than CL imported; ', 5), ARRAY['AR', 'CL'],
              timestamptz '2025-01-01' + g * interval '1 second'
         FROM generate_series(1, ${BULK}) g`,
    );
  });
  afterAll(() => t.close());

  it('answers CSV with a header row, quoting what needs quoting, filtered, sorted and scoped like the list', async () => {
    const res = await requestAs(t, u.analystMx, 'get', '/api/v1/flags/export.csv').expect(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).toMatch(/^attachment; filename="flags-\d{4}-\d{2}-\d{2}\.csv"$/);
    expect(res.text.split('\n')[0]).toBe(HEADER);
    // The summary with commas, quotes and a line break is one quoted field, its quotes doubled.
    expect(res.text).toContain('"Export MX-2026-9 of 3,450 kg: the consignee wrote ""urgent, keep quiet""\nand signed ""J. Pérez"""');
    const records: Record<string, string>[] = parse(res.text, { columns: true });
    // Newest first, and only flags that involve MX: not the 100,000 of AR and CL.
    expect(records.map((r) => r.code)).toEqual(['ROUTE_MISMATCH', 'LICENCE_MISSING', 'CONSENT_QUANTITY_EXCEEDED']);
    expect(records[2]).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/), code: 'CONSENT_QUANTITY_EXCEEDED', severity: 'high', score: '0.9', status: 'in_review', countries: 'BO;MX',
      declaration_numbers: 'MX-2026-9', summary: TRICKY, assignee_email: u.analystMx.email, created_at: '2026-03-02T10:00:00.000000Z', updated_at: expect.stringMatching(/Z$/),
    });
    // A cell a spreadsheet would run as a formula is defused.
    expect(records[1].summary).toBe('\'=HYPERLINK("http://evil")');

    const sorted: Record<string, string>[] = parse((await requestAs(t, u.analystMx, 'get', '/api/v1/flags/export.csv?sort=score').expect(200)).text, { columns: true });
    expect(sorted.map((r) => r.score)).toEqual(['0.9', '0.6', '0.3']);
    const filtered: Record<string, string>[] = parse((await requestAs(t, u.analystMx, 'get', '/api/v1/flags/export.csv?status=open&severity=low').expect(200)).text, { columns: true });
    expect(filtered.map((r) => r.code)).toEqual(['ROUTE_MISMATCH']);
    const byText: Record<string, string>[] = parse((await requestAs(t, u.analystMx, 'get', '/api/v1/flags/export.csv?q=MX-2026-9').expect(200)).text, { columns: true });
    expect(byText.map((r) => r.code)).toEqual(['CONSENT_QUANTITY_EXCEEDED']);
    const pe: Record<string, string>[] = parse((await requestAs(t, u.analystPe, 'get', '/api/v1/flags/export.csv').expect(200)).text, { columns: true });
    expect(pe.map((r) => r.code)).toEqual(['ROUTE_MISMATCH']);
    // Nothing to export is still a file with its header.
    expect((await requestAs(t, u.analystPe, 'get', '/api/v1/flags/export.csv?code=MIRROR_GAP').expect(200)).text).toBe(`${HEADER}\n`);
  });

  it('refuses bad filters with the error body before any CSV, and callers without flags.read', async () => {
    const res = await requestAs(t, u.analystMx, 'get', '/api/v1/flags/export.csv?sort=oldest&from=yesterday').expect(400);
    expect(res.headers['content-type']).toMatch(/json/);
    expect(res.body.details.map((d: { path: string }) => d.path).sort()).toEqual(['from', 'sort']);
    await requestAs(t, u.analystMx, 'get', '/api/v1/flags/export.csv?limit=10').expect(400);
    await requestAs(t, t.adminToken, 'get', '/api/v1/flags/export.csv').expect(403);
    await t.http.get('/api/v1/flags/export.csv').expect(401);
  });

  it('streams 100,000 flags without holding them: the cursor is still open at the first bytes and the heap stays flat', async () => {
    const before = liveHeap();
    let peak = 0;
    let chunks = 0;
    let bytes = 0;
    let sampledAt = 0;
    let atFirstChunk: { state: string; query: string }[] = [];
    let paused = false;
    const result = await download('/api/v1/flags/export.csv?country=AR', u.analystAll, async (chunk, _request, response) => {
      chunks += 1;
      bytes += chunk.length;
      if (chunks === 1) {
        // Stop reading: the server must stop fetching and wait, cursor open, with a batch at most in memory.
        paused = true;
        response.pause();
        atFirstChunk = await openTransactions();
        peak = Math.max(peak, liveHeap() - before);
        response.resume();
        paused = false;
      } else if (bytes - sampledAt > 2_000_000 && !paused) {
        sampledAt = bytes;
        peak = Math.max(peak, liveHeap() - before);
      }
    });
    expect(result.response.statusCode).toBe(200);
    expect(result.lines).toBe(BULK + 1);
    expect(result.bytes).toBeGreaterThan(30_000_000);
    expect(atFirstChunk).toEqual([expect.objectContaining({ query: expect.stringMatching(/(DECLARE|FETCH).*flag_export/s) })]);
    // Holding the rows would take more than the payload itself; streaming holds a few batches.
    expect(peak).toBeLessThan(result.bytes / 10);
    // The transaction is over and the connection back in the pool.
    await eventually(async () => (await openTransactions()).length === 0, 5_000, 'the export transaction to end');
  });

  it('runs three exports at once, and gives the connection back when a client goes away mid-download', async () => {
    // Three clients that take the first bytes and stop reading: their exports wait, cursors open.
    const stalled: http.ClientRequest[] = [];
    await Promise.all(
      [0, 1, 2].map(
        () =>
          new Promise<void>((resolve) => {
            download('/api/v1/flags/export.csv', u.analystAll, (_chunk, request, response) => {
              response.pause();
              stalled.push(request);
              resolve();
            }).catch(() => undefined);
          }),
      ),
    );
    expect(await openTransactions()).toHaveLength(3);
    const fourth = await requestAs(t, u.analystAll, 'get', '/api/v1/flags/export.csv').expect(429);
    expect(fourth.body).toMatchObject({ code: 'RATE_LIMITED', message: expect.stringContaining('exports are running') });

    for (const request of stalled) request.destroy();
    await eventually(async () => (await openTransactions()).length === 0, 10_000, 'the abandoned exports to be released');
    const next = await requestAs(t, u.analystAll, 'get', '/api/v1/flags/export.csv?country=AR&severity=high').expect(200);
    expect(next.text).toBe(`${HEADER}\n`);
    expect((await requestAs(t, u.analystAll, 'get', '/api/v1/flags/summary?country=CL').expect(200)).body.total).toBe(BULK);
  });
});
