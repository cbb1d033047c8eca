import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import type { Server } from 'node:http';
import { exportDeclaration } from '../support/factories.js';
import { ADMIN, createUser, startTestApp, type TestApp, type TestUser } from '../support/test-app.js';

/**
 * The edges of the HTTP layer, where Fastify answers or parses before Nest's handlers run: request
 * content types, keys that could become prototypes, and answers produced before any route is found.
 * Every answer has the error body of API.md, the security headers and the request id.
 */
describe('HTTP edges', () => {
  let t: TestApp;
  let officer: TestUser;
  let focal: TestUser;
  const LOGIN = '/api/v1/auth/login';
  const CREDENTIALS = JSON.stringify(ADMIN);

  beforeAll(async () => {
    t = await startTestApp({ BODY_LIMIT_BYTES: String(64 * 1024) });
    officer = await createUser(t, 'customs_officer', ['MX']);
    focal = await createUser(t, 'focal_point', ['MX']);
  });
  afterAll(() => t.close());

  const errorBody = (statusCode: number, code: string, requestId: string) => ({ statusCode, code, message: expect.any(String), details: expect.any(Array), requestId });

  function expectSecurityHeaders(headers: Record<string, string | string[] | undefined>): void {
    expect(headers).toMatchObject({
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'SAMEORIGIN',
      'strict-transport-security': expect.stringContaining('max-age='),
      'content-security-policy': expect.stringContaining("default-src 'self'"),
      'referrer-policy': 'no-referrer',
      'cross-origin-opener-policy': 'same-origin',
      'cross-origin-resource-policy': 'same-origin',
      'x-dns-prefetch-control': 'off',
      'x-request-id': expect.any(String),
    });
    expect(headers['x-powered-by']).toBeUndefined();
  }

  describe('request content types', () => {
    it.each([
      'application/json',
      'application/json; charset=utf-8',
      'application/json;charset=UTF-8',
      'application/json; charset="utf-8"',
      'Application/JSON',
      'application/vnd.api+json',
      'application/merge-patch+json; charset=utf-8',
    ])('reads a JSON body sent as %s', async (type) => {
      const res = await t.http.post(LOGIN).set('Content-Type', type).send(CREDENTIALS).expect(200);
      expect(res.body.accessToken).toEqual(expect.any(String));
    });

    it.each([
      ['text/plain', CREDENTIALS],
      ['application/x-www-form-urlencoded', 'email=admin%40hgtrace.test&password=x'],
      ['application/xml', '<login/>'],
      ['application/octet-stream', CREDENTIALS],
      ['text/json', CREDENTIALS],
      ['application/jsonx', CREDENTIALS],
      ['garbage', CREDENTIALS],
      ['multipart/form-data; boundary=xyz', '--xyz\r\nContent-Disposition: form-data; name="email"\r\n\r\nadmin@hgtrace.test\r\n--xyz--\r\n'],
    ])('answers 415 to a body sent as %s', async (type, body) => {
      const res = await t.http.post(LOGIN).set('Content-Type', type).send(body).expect(415);
      expect(res.body).toEqual(errorBody(415, 'UNSUPPORTED_MEDIA_TYPE', res.headers['x-request-id']));
      expect(res.body.message).toContain('application/json');
    });

    it('answers 415 to a body without a content type', async () => {
      const res = await t.http.post(LOGIN).unset('Content-Type').send(Buffer.from(CREDENTIALS)).expect(415);
      expect(res.body).toEqual(errorBody(415, 'UNSUPPORTED_MEDIA_TYPE', res.headers['x-request-id']));
    });

    it.each(['latin1', 'ISO-8859-1', 'utf-16'])('answers 415 to JSON in charset %s, which JSON does not allow', async (charset) => {
      const res = await t.http.post(LOGIN).set('Content-Type', `application/json; charset=${charset}`).send(CREDENTIALS).expect(415);
      expect(res.body).toEqual(errorBody(415, 'UNSUPPORTED_MEDIA_TYPE', res.headers['x-request-id']));
      expect(res.body.message).toContain('UTF-8');
    });

    it('answers 415 on PATCH and PUT as on POST', async () => {
      const id = '00000000-0000-4000-8000-000000000000';
      const patch = await t.http.patch(`/api/v1/flags/${id}`).auth(t.adminToken, { type: 'bearer' }).set('Content-Type', 'text/plain').send('{"version":1}').expect(415);
      expect(patch.body.code).toBe('UNSUPPORTED_MEDIA_TYPE');
      const put = await t.http.put(`/api/v1/declarations/${id}`).auth(officer.token, { type: 'bearer' }).set('Content-Type', 'text/plain').send('x').expect(415);
      expect(put.body.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    });

    it.each([
      ['no content type', undefined],
      ['application/json', 'application/json'],
      ['text/plain', 'text/plain'],
      ['application/x-www-form-urlencoded (curl -d "")', 'application/x-www-form-urlencoded'],
    ])('takes an empty body sent with %s as no body, and validates it', async (_, type) => {
      const request = t.http.post(LOGIN);
      const res = await (type ? request.set('Content-Type', type).send('') : request).expect(400);
      expect(res.body).toEqual(errorBody(400, 'VALIDATION_FAILED', res.headers['x-request-id']));
      expect(res.body.details.map((d: { path: string }) => d.path)).toEqual(expect.arrayContaining(['email', 'password']));
    });

    it('answers 404, not 415, for an unknown route whatever it is sent', async () => {
      for (const type of ['text/plain', 'multipart/form-data; boundary=xyz', 'application/json']) {
        const res = await t.http.post('/api/v1/nothing-here').set('Content-Type', type).send('{}').expect(404);
        expect(res.body.code).toBe('NOT_FOUND');
      }
    });

    it('keeps taking CSV imports as multipart, and nothing else there', async () => {
      const upload = await t.http.post('/api/v1/imports').auth(officer.token, { type: 'bearer' }).attach('file', Buffer.from('country,flow\n'), 'declarations.csv').expect(202);
      expect(upload.body).toEqual({ id: expect.any(String) });
      const json = await t.http.post('/api/v1/imports').auth(officer.token, { type: 'bearer' }).send({ file: 'a,b' }).expect(415);
      expect(json.body.message).toContain('multipart/form-data');
      const csv = await t.http.post('/api/v1/imports').auth(officer.token, { type: 'bearer' }).set('Content-Type', 'text/csv').send('a,b\n').expect(415);
      expect(csv.body.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    });
  });

  describe('__proto__ and constructor keys', () => {
    const trader = (nationalId: string) => ({ country: 'MX', nationalId, name: 'Proto SA' });
    const postTrader = (raw: string) => t.http.post('/api/v1/traders').auth(focal.token, { type: 'bearer' }).set('Content-Type', 'application/json').send(raw);
    const withKey = (body: object, key: string) => JSON.stringify(body).replace('{', `{${key}, `);
    const tradersNamed = async (nationalId: string) => (await t.db.query(`SELECT 1 FROM traders WHERE national_id = $1`, [nationalId])).rowCount;

    it.each([
      ['"__proto__": {"country": "PE"}', '__proto__'],
      ['"__proto__": null', '__proto__'],
      ['"\\u005f_proto__": {"x": 1}', '__proto__'],
      ['"constructor": {"prototype": {"role": "admin"}}', 'constructor'],
      ['"constructor": {"name": "x"}', 'constructor'],
    ])('refuses %s as a field that is not allowed, and stores nothing', async (key, path) => {
      const nationalId = `PROTO-${path}-${key.length}`;
      const res = await postTrader(withKey(trader(nationalId), key)).expect(400);
      expect(res.body).toEqual({ statusCode: 400, code: 'VALIDATION_FAILED', message: expect.any(String), details: [{ path, message: 'is not allowed' }], requestId: res.headers['x-request-id'] });
      expect(await tradersNamed(nationalId)).toBe(0);
      expect(({} as Record<string, unknown>).country).toBeUndefined();
      expect(({} as Record<string, unknown>).x).toBeUndefined();
    });

    it('names each such key by its path, however deep', async () => {
      const body = exportDeclaration();
      const raw = JSON.stringify(body).replace('"hsCode"', '"__proto__": {"netMassKg": 1}, "hsCode"').replace('"name"', '"constructor": 1, "name"');
      const res = await t.http.post('/api/v1/declarations/verify').auth(officer.token, { type: 'bearer' }).set('Content-Type', 'application/json').send(raw).expect(400);
      expect(res.body.details).toEqual(expect.arrayContaining([{ path: 'items[0].__proto__', message: 'is not allowed' }, { path: 'trader.constructor', message: 'is not allowed' }]));
      expect(res.body.details).toHaveLength(2);

      const batch = JSON.stringify({ declarations: [exportDeclaration(), exportDeclaration()] }).replace(/("declarations":\[\{.*?\}\]\},)\{/, '$1{"__proto__": {}, ');
      const refused = await t.http.post('/api/v1/declarations/batch').auth(officer.token, { type: 'bearer' }).set('Content-Type', 'application/json').send(batch).expect(400);
      expect(refused.body.details).toEqual([{ path: 'declarations[1].__proto__', message: 'is not allowed' }]);
    });

    it('leaves such words alone in values and in longer keys', async () => {
      const res = await postTrader(JSON.stringify({ ...trader('PROTO-VALUE'), name: '__proto__ constructor SA', aliases: ['{"__proto__": 1}'] })).expect(201);
      expect(res.body).toMatchObject({ name: '__proto__ constructor SA', aliases: ['{"__proto__": 1}'] });
      const longer = await postTrader(withKey(trader('PROTO-LONGER'), '"__proto__x": 1')).expect(400);
      expect(longer.body.details).toEqual([{ path: '__proto__x', message: 'is not allowed' }]);
    });
  });

  it('refuses text PostgreSQL cannot store with a 400 naming each field, and stores nothing', async () => {
    const post = (body: object) => t.http.post('/api/v1/traders').auth(focal.token, { type: 'bearer' }).send(body);
    const res = await post({ country: 'MX', nationalId: 'UNSTORABLE-1', name: 'Nul\u0000 SA', aliases: ['fine', 'half \ud800 a pair'] }).expect(400);
    const message = 'must not contain a NUL character or an unpaired surrogate';
    expect(res.body).toEqual({ statusCode: 400, code: 'VALIDATION_FAILED', message: expect.any(String), details: [{ path: 'aliases[1]', message }, { path: 'name', message }], requestId: res.headers['x-request-id'] });
    expect((await t.db.query(`SELECT 1 FROM traders WHERE national_id = 'UNSTORABLE-1'`)).rowCount).toBe(0);
    // A pair is one character, and welcome.
    await post({ country: 'MX', nationalId: 'UNSTORABLE-2', name: 'Minera 😀 SA' }).expect(201);
  });

  describe('answers produced before the handlers', () => {
    let server: Server;
    beforeAll(async () => {
      server = t.app.getHttpServer() as Server;
      if (!server.listening) await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    });

    /** Sends `head` as it is written, for requests an HTTP client will not send, and reads the answer to its end. */
    function raw(head: string): Promise<{ status: number; headers: Record<string, string>; body: unknown }> {
      return new Promise((resolve, reject) => {
        const socket = connect((server.address() as AddressInfo).port, '127.0.0.1', () => socket.end(head));
        const chunks: Buffer[] = [];
        socket.on('data', (chunk: Buffer) => chunks.push(chunk));
        socket.on('error', reject);
        socket.on('close', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const [top, ...rest] = text.split('\r\n\r\n');
          const [statusLine, ...lines] = top.split('\r\n');
          const headers = Object.fromEntries(lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]));
          resolve({ status: Number(statusLine.split(' ')[1]), headers, body: JSON.parse(rest.join('\r\n')) });
        });
      });
    }

    it.each([
      ['a lone % in the path', () => t.http.get('/api/v1/%'), 400, 'BAD_REQUEST'],
      ['a lone % under /health', () => t.http.get('/health/%'), 400, 'BAD_REQUEST'],
      ['a bad escape in a path parameter', () => t.http.get('/api/v1/traders/%E0%A4%A').auth(t.adminToken, { type: 'bearer' }), 400, 'BAD_REQUEST'],
      ['an unknown route', () => t.http.get('/api/v1/nothing-here'), 404, 'NOT_FOUND'],
      ['an unknown route outside the prefix', () => t.http.get('/'), 404, 'NOT_FOUND'],
      ['a body too large', () => t.http.post(LOGIN).send({ email: 'a@b.c', password: 'x'.repeat(100 * 1024) }), 413, 'PAYLOAD_TOO_LARGE'],
      ['malformed JSON', () => t.http.post(LOGIN).set('Content-Type', 'application/json').send('{"email": '), 400, 'VALIDATION_FAILED'],
      ['an unsupported content type', () => t.http.post(LOGIN).set('Content-Type', 'text/plain').send('x'), 415, 'UNSUPPORTED_MEDIA_TYPE'],
      ['a __proto__ key', () => t.http.post(LOGIN).set('Content-Type', 'application/json').send('{"__proto__": {}}'), 400, 'VALIDATION_FAILED'],
    ])('answers %s with the error body, the security headers and the request id', async (_, send, status, code) => {
      const res = await send().expect(status);
      expectSecurityHeaders(res.headers);
      expect(res.body).toEqual(errorBody(status, code, res.headers['x-request-id']));
    });

    /** The count of answered requests in /metrics for a route label and status (0 when there is none yet). */
    async function answered(route: string, status: number): Promise<number> {
      const { text } = await t.http.get('/metrics').expect(200);
      const line = text.split('\n').find((l) => l.startsWith('hgtrace_http_request_duration_seconds_count{') && l.includes(`route="${route}"`) && l.includes(`status="${status}"`));
      return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
    }

    it('counts the answers given before any route is found in the metrics, as every other answer', async () => {
      const badUrls = await answered('unmatched', 400);
      await t.http.get('/api/v1/%').expect(400);
      expect(await answered('unmatched', 400)).toBe(badUrls + 1);
      // Once each, whichever way the router failed: a bad escape in a parameter of a route it found.
      const all400 = async () => (await t.http.get('/metrics').expect(200)).text.split('\n')
        .filter((l) => l.startsWith('hgtrace_http_request_duration_seconds_count{') && l.includes('status="400"'))
        .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
      const before = await all400();
      await t.http.get('/api/v1/traders/%E0%A4%A').auth(t.adminToken, { type: 'bearer' }).expect(400);
      expect(await all400()).toBe(before + 1);
      const unreadable = await answered('unparsed', 400);
      expect((await raw('GET /health/live HTTP/1.1\r\nHost localhost\r\n\r\n')).status).toBe(400);
      expect(await answered('unparsed', 400)).toBe(unreadable + 1);
    });

    it('echoes a caller\'s request id on a URL the router cannot decode', async () => {
      const res = await t.http.get('/api/v1/%').set('X-Request-Id', 'edge-bad-url-1').expect(400);
      expect(res.headers['x-request-id']).toBe('edge-bad-url-1');
      expect(res.body.requestId).toBe('edge-bad-url-1');
    });

    it.each([
      ['headers larger than Node reads', `GET /health/live HTTP/1.1\r\nHost: localhost\r\nX-Big: ${'x'.repeat(32 * 1024)}\r\n\r\n`, 431, 'BAD_REQUEST'],
      ['a request Node cannot parse', 'GET /health/live HTTP/1.1\r\nHost localhost\r\n\r\n', 400, 'BAD_REQUEST'],
    ])('answers %s with the error body, the security headers and a request id', async (_, head, status, code) => {
      const res = await raw(head);
      expect(res.status).toBe(status);
      expectSecurityHeaders(res.headers);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.body).toEqual(errorBody(status, code, res.headers['x-request-id']));
    });
  });
});
