import fc from 'fast-check';
import type { Response } from 'supertest';
import { ERROR_STATUS } from '@hgtrace/common';
import { allowedActor, buildWorld, type Endpoint, ENDPOINTS, type RequestSpec, routeKey, type World } from '../support/endpoints.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

/**
 * Every endpoint against generated input: bodies (wrong types, huge and unicode strings, nulls, SQL
 * and script fragments, deep nesting, extra fields, arrays for objects, malformed JSON, other content
 * types), query strings and path parameters, sent by a caller the endpoint admits so that the input
 * gets past the guard. The api must never answer 5xx, and every error must have the body of API.md.
 *
 * Reproduce a failure with the seed it reports: FUZZ_SEED=<seed> (FUZZ_RUNS=<factor> scales the runs).
 */
const SEED = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
const FACTOR = Number(process.env.FUZZ_RUNS ?? 1);
const runs = (n: number) => Math.max(1, Math.round(n * FACTOR));

// ---------------------------------------------------------------------------------------------
// Generators

const NASTY = [
  '', ' ', '\u0000', 'a\u0000b', 'null', 'undefined', 'NaN', 'Infinity', '-Infinity', '-1', '0', '-0', '1e309', '9'.repeat(400), '0x1F', '1_000', 'true',
  "' OR '1'='1", "'; DROP TABLE users; --", '" OR ""="', "1; SELECT pg_sleep(5) --", "$1", "%s%s%s%n", '\\', '\\u0000', "E'\\x00'", '%', '_', '*',
  '<script>alert(1)</script>', '"><img src=x onerror=alert(1)>', '{{7*7}}', '${7*7}', '../../../../etc/passwd', '..\\..\\windows\\win.ini',
  '\u202e\u0644\u0627', 'Zürich', 'İstanbul', '𝕳𝖌 🦠💀', '\ud800', 'x\udfffy', 'A\u0301', '\uFEFF', '\r\n', 'a\nb', '\t', '\u2028',
  '2026-02-30', '0000-00-00', '9999-12-31', '2026-13-01', '+012026-01-01', '2026-W01', '2026-001', 'infinity', '-infinity', 'epoch', 'today', '2026-03-01T25:61:00Z',
  '00000000-0000-0000-0000-000000000000', 'ffffffff-ffff-ffff-ffff-ffffffffffff', '{00000000-0000-0000-0000-000000000000}', 'none', '[]', '{}',
  'MX', 'mx', 'ZZ', 'XX', '28054', '2805.40.00', '280540 ', 'export', 'import', 'open', 'confirmed', 'admin', 'analyst',
];

/** Cursors are opaque base64url JSON arrays that go back into SQL: the dangerous kind of string. */
const cursor = fc
  .array(fc.oneof(fc.string({ maxLength: 30 }), fc.constantFrom(...NASTY), fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true })), { maxLength: 3 })
  .map((values) => Buffer.from(JSON.stringify(values)).toString('base64url'));

const text = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom(...NASTY) },
  { weight: 3, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: cursor },
  { weight: 1, arbitrary: fc.integer({ min: 200, max: 70_000 }).map((n) => 'x'.repeat(n)) },
);

const scalar = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.double(),
  fc.constantFrom(0, -1, 0.0001, 1.23456789, 1e21, 2 ** 53 + 2, 1e308, -1e308, 5e-324),
  text,
);

const { junk } = fc.letrec<{ junk: unknown }>((tie) => ({
  junk: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    scalar,
    fc.array(tie('junk'), { maxLength: 4 }),
    fc.dictionary(fc.oneof(fc.constantFrom('id', 'role', 'countries', 'version', '__proto__', 'constructor', 'toString', ''), fc.string({ maxLength: 10 })), tie('junk'), { maxKeys: 4 }),
  ),
}));

/**
 * A value nested `depth` levels deep. It stays a small marker until it is sent: built as objects and
 * passed through JSON.stringify, it would overflow the test's own stack before reaching the api.
 */
const DEEP = '\u0000deep';
const nested = (depth: number, kind: 'array' | 'object') => ({ [DEEP]: true, depth, kind });
const deep = fc.tuple(fc.integer({ min: 20, max: 20_000 }), fc.constantFrom('array', 'object') as fc.Arbitrary<'array' | 'object'>).map(([d, k]) => nested(d, k));

/** JSON text of a generated value, markers written out as the deep nesting they stand for. */
function serialize(value: unknown): string {
  const markers: { depth: number; kind: string }[] = [];
  const text = JSON.stringify(value, (_, v) => (v !== null && typeof v === 'object' && v[DEEP] === true ? `@@deep${markers.push(v) - 1}@@` : v)) ?? 'null';
  return text.replace(/"@@deep(\d+)@@"/g, (_, i) => {
    const { depth, kind } = markers[Number(i)];
    return kind === 'array' ? `${'['.repeat(depth)}1${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
  });
}

type Path = (string | number)[];

function pathsOf(value: unknown, prefix: Path = []): Path[] {
  if (value === null || typeof value !== 'object') return [prefix];
  const entries = Array.isArray(value) ? value.map((v, i) => [i, v] as const) : Object.entries(value);
  return [prefix, ...entries.flatMap(([k, v]) => pathsOf(v, [...prefix, k]))];
}

/** A copy of `base` with the value at `path` replaced (or removed, for `undefined`). */
function withValue(base: unknown, path: Path, value: unknown): unknown {
  if (path.length === 0) return value;
  const copy: unknown = structuredClone(base);
  let node = copy as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  const last = path[path.length - 1];
  if (value === undefined) {
    if (Array.isArray(node)) node.splice(Number(last), 1);
    else delete node[last];
  } else node[last] = value;
  return copy;
}

interface BodyInput {
  json?: unknown;
  raw?: { contentType: string; text: string; encoding?: string };
}

function bodies(base: unknown): fc.Arbitrary<BodyInput> {
  const paths = pathsOf(base);
  const inner = paths.filter((p) => p.length > 0);
  // Objects only: a key added to an array would be an index, possibly past what an array can hold.
  const containers = paths.filter((p) => {
    const node = p.reduce<unknown>((n, k) => (n as Record<string | number, unknown>)[k], base);
    return node instanceof Object && !Array.isArray(node);
  });
  const somePath = fc.constantFrom(...(inner.length ? inner : paths));
  const json = fc.oneof(
    { weight: 6, arbitrary: fc.tuple(somePath, junk).map(([p, v]) => withValue(base, p, v)) },
    { weight: 2, arbitrary: somePath.map((p) => withValue(base, p, undefined)) },
    { weight: 2, arbitrary: fc.array(fc.tuple(somePath, junk), { minLength: 2, maxLength: 5 }).map((changes) => changes.reduce((body, [p, v]) => { try { return withValue(body, p, v); } catch { return body; } }, base)) },
    { weight: 2, arbitrary: fc.tuple(fc.constantFrom(...containers), fc.string({ maxLength: 12 }), junk).map(([p, k, v]) => withValue(base, [...p, k], v)) },
    { weight: 1, arbitrary: fc.tuple(somePath, deep).map(([p, v]) => withValue(base, p, v)) },
    { weight: 1, arbitrary: deep.map((v) => ({ ...(base as object), deep: v })) },
    { weight: 1, arbitrary: fc.constantFrom([base], [base, base], []) },
    { weight: 2, arbitrary: junk },
  );
  const raw = fc.oneof(
    fc.record({ contentType: fc.constant('application/json'), text: fc.oneof(fc.string({ maxLength: 60 }), fc.constantFrom('{', '{"a":', '[1,2', 'nul', '"x"', '1', '-', '{"a":1}}', '1'.repeat(5000), '{"a":"\\ud800"}', '\u0000', '{"__proto__":{"x":1}}')) }),
    fc.record({ contentType: fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', 'application/xml', 'multipart/form-data', 'multipart/form-data; boundary=xyz', 'application/json; charset=utf-16', 'application/json; charset=latin1', 'application/vnd.api+json', '*/*', 'garbage'), text: fc.string({ maxLength: 60 }) }),
    fc.record({ contentType: fc.constant('application/json'), text: fc.constant('{"a":1}'), encoding: fc.constantFrom('gzip', 'deflate', 'br', 'identity', 'x-unknown') }),
  );
  return fc.oneof({ weight: 5, arbitrary: json.map((v) => ({ json: v })) }, { weight: 1, arbitrary: raw.map((r) => ({ raw: r })) });
}

/** Percent-encodes any string; a lone surrogate (which encodeURIComponent refuses) becomes U+FFFD. */
const encode = (value: string) => encodeURIComponent(value.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD'));

function queries(known: string[]): fc.Arbitrary<string> {
  const key = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...(known.length ? known : ['limit'])) }, { weight: 1, arbitrary: fc.constantFrom('__proto__', 'constructor', 'a[b]', 'limit[]', '') }, { weight: 1, arbitrary: fc.string({ maxLength: 8 }) });
  const pair = fc.tuple(key, fc.oneof(text.filter((s) => s.length < 3000), fc.integer().map(String))).map(([k, v]) => `${encode(k)}=${encode(v)}`);
  const garbage = fc.constantFrom('%', '%zz', '&&', '=', '==x', 'a', '%E0%A4%A', '%00', '+', '%2B%2F', '&limit', 'limit=1&limit=2');
  return fc.array(fc.oneof({ weight: 5, arbitrary: pair }, { weight: 1, arbitrary: garbage }), { minLength: 1, maxLength: 6 }).map((parts) => parts.join('&'));
}

const pathParams = fc.oneof(
  { weight: 3, arbitrary: text.filter((s) => s.length > 0 && s.length < 2000).map(encode) },
  { weight: 1, arbitrary: fc.constantFrom('%', '%E0%A4%A', '%00', '..', '.', '%2e%2e', '%2F', '%ZZ', ';', '::', '%C0%AF', 'null', '-1', '0', '1e3', '%20', '~') },
  { weight: 1, arbitrary: fc.uuid().map((u) => u.toUpperCase()) },
  { weight: 1, arbitrary: fc.uuid() },
);

function multipart(): fc.Arbitrary<{ field: string; name: string; content: Uint8Array } | { rawBoundary: string; text: string }> {
  return fc.oneof(
    fc.record({ field: fc.constantFrom('file', 'file', 'upload', ''), name: fc.oneof(fc.constantFrom('a.csv', '', '../../etc/passwd', 'x\u0000.csv', 'ü.csv'), fc.string({ maxLength: 30 })), content: fc.uint8Array({ maxLength: 3000 }) }),
    fc.record({ rawBoundary: fc.constantFrom('xyz', '', '"quoted"', 'a'.repeat(200)), text: fc.string({ maxLength: 200 }) }),
  );
}

// ---------------------------------------------------------------------------------------------
// Judging an answer

/** What is wrong with an answer, or null: never 5xx, and every error in the error body of API.md. */
function problemWith(res: Response): string | null {
  if (res.status >= 500) return `answered ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`;
  if (res.status < 400) return null;
  const body = res.body as Record<string, unknown>;
  const keys = Object.keys(body ?? {}).sort().join(',');
  if (keys !== 'code,details,message,requestId,statusCode') return `error body has keys ${keys}: ${res.text?.slice(0, 200)}`;
  if (body.statusCode !== res.status) return `error body says ${String(body.statusCode)} on a ${res.status}`;
  if (ERROR_STATUS[body.code as keyof typeof ERROR_STATUS] !== res.status) return `error code ${String(body.code)} on a ${res.status}`;
  if (typeof body.message !== 'string' || body.message.length === 0) return 'error without a message';
  if (body.requestId !== res.headers['x-request-id']) return `requestId ${String(body.requestId)} is not the X-Request-Id ${res.headers['x-request-id']}`;
  const details = body.details as unknown[];
  if (!Array.isArray(details)) return 'details is not a list';
  const bad = details.find((d) => typeof d !== 'object' || d === null || Object.keys(d).sort().join(',') !== 'message,path' || typeof (d as { path: unknown }).path !== 'string' || typeof (d as { message: unknown }).message !== 'string');
  return bad === undefined ? null : `a detail is not { path, message }: ${JSON.stringify(bad)}`;
}

const show = (value: unknown) => {
  const s = JSON.stringify(value) ?? String(value);
  return s.length > 400 ? `${s.slice(0, 400)}... (${s.length} characters)` : s;
};

describe(`fuzzing every endpoint (seed ${SEED}: rerun with FUZZ_SEED=${SEED})`, () => {
  let t: TestApp;
  let w: World;
  const base = new Map<Endpoint, RequestSpec>();
  let known: Record<string, string[]> = {};
  let requests = 0;

  beforeAll(async () => {
    t = await startTestApp({ LOGIN_RATE_LIMIT_PER_MINUTE: '10000' });
    await t.app.listen(0, '127.0.0.1');
    w = await buildWorld(t);
    for (const e of ENDPOINTS) base.set(e, await e.request(w, 'own'));
    const doc = (await t.http.get('/api/docs-json').expect(200)).body as { paths: Record<string, Record<string, { parameters?: { in: string; name: string }[] }>> };
    known = Object.fromEntries(ENDPOINTS.map((e) => [routeKey(e), (doc.paths[e.path.replace(/:(\w+)/g, '{$1}')]?.[e.method]?.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name)]));
  }, 120_000);
  afterAll(() => t.close());

  const tokenOf = (e: Endpoint) => allowedActor(w, e)?.token ?? null;
  const check = async (label: string, res: Promise<Response> | Response, input: unknown) => {
    requests += 1;
    const problem = problemWith(await res);
    if (problem) throw new Error(`${label}: ${problem}\n  input: ${show(input)}`);
  };
  const property = <T>(arbitrary: fc.Arbitrary<T>, numRuns: number, predicate: (value: T) => Promise<void>) =>
    fc.assert(fc.asyncProperty(arbitrary, predicate), { seed: SEED, numRuns });

  const withBody = ENDPOINTS.filter((e) => e.method !== 'get' && e.method !== 'delete');
  it.each(withBody.map((e) => [routeKey(e), e] as const))('%s: bodies', async (label, e: Endpoint) => {
    const spec = base.get(e)!;
    const token = tokenOf(e);
    const request = () => {
      const r = t.http[e.method](spec.path);
      return token ? r.set('Authorization', `Bearer ${token}`) : r;
    };
    if (spec.file) {
      await property(multipart(), runs(60), async (input) => {
        const r = request();
        const sent = 'field' in input
          ? (input.field ? r.attach(input.field, Buffer.from(input.content), input.name || 'x.csv') : r.field('note', input.name))
          : r.set('Content-Type', `multipart/form-data; boundary=${input.rawBoundary}`).send(input.text);
        await check(label, sent, input);
      });
      return;
    }
    // Each login that gets past validation costs an argon2 verification: fewer of those.
    const numRuns = runs(e.path === '/api/v1/auth/login' ? 40 : e.path === '/api/v1/users' ? 60 : 100);
    await property(bodies(spec.body), numRuns, async (input) => {
      if (input.raw) {
        const r = request().set('Content-Type', input.raw.contentType);
        await check(label, (input.raw.encoding ? r.set('Content-Encoding', input.raw.encoding) : r).send(input.raw.text), input);
      } else {
        await check(label, request().set('Content-Type', 'application/json').send(serialize(input.json)), input);
      }
    });
  });

  it.each(ENDPOINTS.filter((e) => e.method === 'get').map((e) => [routeKey(e), e] as const))('%s: query strings', async (label, e: Endpoint) => {
    const spec = base.get(e)!;
    const token = tokenOf(e);
    const [path] = spec.path.split('?');
    // A caller's X-Request-Id is kept when sane and replaced otherwise; the error body quotes the one answered.
    const requestIds = fc.option(fc.string({ unit: 'binary-ascii', maxLength: 80 }).filter((s) => /^[\x20-\x7e]*$/.test(s)));
    await property(fc.tuple(queries(known[label]), requestIds), runs(30), async ([query, requestId]) => {
      let r = t.http.get(`${path}?${query}`);
      if (token) r = r.set('Authorization', `Bearer ${token}`);
      await check(label, requestId === null ? r : r.set('X-Request-Id', requestId), { query, requestId });
    });
  });

  it.each(ENDPOINTS.filter((e) => e.path.includes(':id')).map((e) => [routeKey(e), e] as const))('%s: path parameters', async (label, e: Endpoint) => {
    const spec = base.get(e)!;
    const token = tokenOf(e);
    const [, suffix] = e.path.split(':id');
    const prefix = e.path.split(':id')[0];
    await property(pathParams, runs(30), async (id) => {
      let r = t.http[e.method](`${prefix}${id}${suffix}`).set('Authorization', `Bearer ${token}`);
      if (spec.body !== undefined) r = r.send(spec.body as object);
      await check(label, r, id);
    });
  });

  it('sent thousands of generated requests in all', () => {
    expect(requests).toBeGreaterThanOrEqual(2500 * FACTOR);
  });

  it('refuses bodies nested thousands of levels deep with 400 on every endpoint that takes one', async () => {
    for (const e of withBody.filter((x) => !base.get(x)!.file)) {
      const token = tokenOf(e);
      for (const body of [{ ...(base.get(e)!.body as object), extra: nested(5000, 'object') }, nested(5000, 'array'), withValue(base.get(e)!.body, [Object.keys(base.get(e)!.body as object)[0]], nested(3000, 'object'))]) {
        const r = t.http[e.method](base.get(e)!.path).set('Content-Type', 'application/json');
        const res = await (token ? r.set('Authorization', `Bearer ${token}`) : r).send(serialize(body));
        expect([routeKey(e), res.status, res.body.code]).toEqual([routeKey(e), 400, 'VALIDATION_FAILED']);
      }
    }
  });
});
