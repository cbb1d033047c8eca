import { createUser, requestAs, startTestApp, type TestApp, type TestUser } from '../support/test-app.js';

interface Row {
  id: string;
  score: number;
  created: string;
}

/** The flag list by date and by score, paged with keyset cursors: every flag once, in order, whatever the page size. */
describe('flag list sorting and paging', () => {
  let t: TestApp;
  let analyst: TestUser;
  let rows: Row[];

  const pages = async (query: string, limit: number): Promise<string[]> => {
    const ids: string[] = [];
    let cursor: string | null = null;
    do {
      const { body }: { body: { items: { id: string }[]; nextCursor: string | null } } = await requestAs(t, analyst, 'get', `/api/v1/flags?${query}&limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`).expect(200);
      expect(body.items.length).toBeLessThanOrEqual(limit);
      ids.push(...body.items.map((f) => f.id));
      cursor = body.nextCursor;
    } while (cursor);
    return ids;
  };
  const byDate = (a: Row, b: Row) => (a.created === b.created ? (a.id < b.id ? 1 : -1) : a.created < b.created ? 1 : -1);
  const byScore = (a: Row, b: Row) => (a.score === b.score ? byDate(a, b) : b.score - a.score);

  beforeAll(async () => {
    t = await startTestApp();
    analyst = await createUser(t, 'analyst', ['MX']);
    // Scores repeat and some flags share a creation time, so that both orders need their tie-breakers.
    const scores = [0.9, 0.6, 0.9, 0.3, 0.9, 0.6, 0.3, 0.9, 0.6, 0.75, 0.3];
    const minutesAgo = [10, 9, 9, 8, 7, 7, 7, 5, 4, 3, 2];
    const inserted = await t.db.query(
      `INSERT INTO flags (code, subject, severity, score, summary, countries, created_at)
       SELECT 'QUANTITY_MISMATCH', 'sort:' || n, 'high', s, 'Flag ' || n, ARRAY['BO', 'MX'], now() - m * interval '1 minute'
         FROM unnest($1::numeric[], $2::int[]) WITH ORDINALITY AS u(s, m, n)
       RETURNING id, score::float8 AS score, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS created`,
      [scores, minutesAgo],
    );
    rows = inserted.rows;
    // A flag of another country only: never listed for this analyst.
    await t.db.query(`INSERT INTO flags (code, subject, severity, score, summary, countries) VALUES ('ROUTE_MISMATCH', 'sort:pe', 'high', 1, 'PE only', ARRAY['PE'])`);
  });
  afterAll(() => t.close());

  it('lists newest first by default and with sort=date, page after page', async () => {
    const expected = [...rows].sort(byDate).map((r) => r.id);
    expect(await pages('sort=date', 3)).toEqual(expected);
    expect(await pages('code=QUANTITY_MISMATCH', 4)).toEqual(expected);
    expect(await pages('sort=date', 500)).toEqual(expected);
  });

  it('lists the highest score first with sort=score, ties newest first, page after page', async () => {
    const expected = [...rows].sort(byScore).map((r) => r.id);
    const first = await requestAs(t, analyst, 'get', '/api/v1/flags?sort=score&limit=4').expect(200);
    expect(first.body.items.map((f: { score: number }) => f.score)).toEqual([0.9, 0.9, 0.9, 0.9]);
    for (const limit of [1, 2, 3, 5]) expect(await pages('sort=score', limit)).toEqual(expected);
    // Filters apply under either sort.
    expect(await pages('sort=score&severity=high&status=open', 2)).toEqual(expected);
  });

  it('refuses an unknown sort, and a cursor of the other sort or a forged one, naming the parameter', async () => {
    const bad = await requestAs(t, analyst, 'get', '/api/v1/flags?sort=newest').expect(400);
    expect(bad.body).toMatchObject({ code: 'VALIDATION_FAILED', details: [{ path: 'sort', message: 'must be one of date, score' }] });
    await requestAs(t, analyst, 'get', '/api/v1/flags/summary?sort=urgent').expect(400);

    const byDatePage = await requestAs(t, analyst, 'get', '/api/v1/flags?limit=2').expect(200);
    const byScorePage = await requestAs(t, analyst, 'get', '/api/v1/flags?sort=score&limit=2').expect(200);
    for (const url of [`/api/v1/flags?sort=score&cursor=${byDatePage.body.nextCursor}`, `/api/v1/flags?sort=date&cursor=${byScorePage.body.nextCursor}`]) {
      const res = await requestAs(t, analyst, 'get', url).expect(400);
      expect(res.body.details).toEqual([{ path: 'cursor', message: expect.any(String) }]);
    }
    const forged = Buffer.from(JSON.stringify(['high', '2026-01-01T00:00:00.000000Z', rows[0].id])).toString('base64url');
    expect((await requestAs(t, analyst, 'get', `/api/v1/flags?sort=score&cursor=${forged}`).expect(400)).body.details[0].path).toBe('cursor');
  });
});
