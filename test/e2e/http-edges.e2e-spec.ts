import { ADMIN, createUser, startTestApp, type TestApp, type TestUser } from '../support/test-app.js';

/**
 * The edges of the HTTP layer, where Fastify answers or parses before Nest's handlers run: the
 * content types of request bodies. Every refusal has the error body of API.md.
 */
describe('HTTP edges', () => {
  let t: TestApp;
  let officer: TestUser;
  const LOGIN = '/api/v1/auth/login';
  const CREDENTIALS = JSON.stringify(ADMIN);

  beforeAll(async () => {
    t = await startTestApp({ BODY_LIMIT_BYTES: String(64 * 1024) });
    officer = await createUser(t, 'customs_officer', ['MX']);
  });
  afterAll(() => t.close());

  const errorBody = (statusCode: number, code: string, requestId: string) => ({ statusCode, code, message: expect.any(String), details: expect.any(Array), requestId });

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
});
