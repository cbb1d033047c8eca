import { randomUUID } from 'node:crypto';
import { PERMISSIONS, type Permission } from '@hgtrace/auth';
import { ROLES, type Role } from '@hgtrace/common';
import { exportDeclaration } from './factories.js';
import { createUser, type Method, requestAs, type TestApp, type TestUser } from './test-app.js';

/**
 * Every endpoint of the api as data, for the suites that go through all of them: the access matrix
 * (security-access), the fuzzer (fuzz) and the token checks. A row names the permission of the
 * access policy the endpoint needs, how country scope applies to it, and how to build a valid request
 * about a record of the caller's country ('own'), of a country the caller has nothing to do with
 * ('other') and, where such records exist, of a country pair the caller is part of without owning
 * the record ('partner': a consent the partner country issued).
 *
 * A new endpoint needs a row here: security-access fails while a route of the api has none.
 */

/** The caller's country, a country it has nothing to do with, and its partner in a consent. */
export const OWN = 'MX';
export const OTHER = 'PE';
export const PARTNER = 'BO';
/** The counterpart of OTHER in its records: neither OWN nor PARTNER. */
const THIRD = 'CL';

export type Scope = 'own' | 'other' | 'partner';

/**
 * How country scope applies to an endpoint (access-policy.ts):
 * - none: not limited by country;
 * - record: reads or changes a record named by id (in the path or the body): one outside the caller's
 *   countries does not exist for them (404); one they can see but is not theirs to change is 403;
 * - country: acts for a country named in the body: another country is 403;
 * - list: answers the success status, without the records of other countries.
 */
export type ScopeRule = 'none' | 'record' | 'country' | 'list';

export interface RequestSpec {
  /** The concrete path, with its query string. */
  path: string;
  body?: unknown;
  /** A multipart upload instead of a JSON body. */
  file?: { name: string; content: Buffer };
  /** An id that a successful answer shows exactly when the caller may see that record. */
  probe?: string;
}

export interface Endpoint {
  method: Method;
  /** As the router has it: /api/v1/licences/:id/suspend. */
  path: string;
  permission: Permission | 'public';
  scope: ScopeRule;
  success: number;
  /** Roles this endpoint does not limit by country (admins read the whole audit log). */
  unscopedRoles?: readonly Role[];
  /** The batch judges scope per declaration: the status is the success status and each item says created or rejected. */
  perItem?: boolean;
  /** A write that leaves no audit event, and why. */
  notAudited?: string;
  scopes: readonly Scope[];
  /** A valid request; endpoints that change state get a record of their own on every call. */
  request(w: World, scope: Scope): Promise<RequestSpec>;
}

export interface Actor extends TestUser {
  role: Role;
  label: string;
}

export interface World {
  t: TestApp;
  /** Every role scoped to OWN, and the roles that may hold every country with ["*"]. */
  actors: Actor[];
  /** Users that create the fixtures of each country. */
  makers: Record<'focalMx' | 'focalPe' | 'focalBo' | 'officerMx' | 'officerPe' | 'systemMx' | 'systemPe', TestUser>;
  records: {
    trader: Record<'own' | 'other', string>;
    licence: Record<'own' | 'other', string>;
    consent: Record<Scope, string>;
    declaration: Record<'own' | 'other', string>;
    importJob: Record<'own' | 'other', string>;
    flag: Record<'own' | 'other', string>;
    run: Record<'own' | 'other', string>;
    user: Record<'own' | 'other', TestUser>;
  };
}

/** Roles that may be given every country (API.md: `["*"]` only for analyst and admin). */
export const ALL_COUNTRY_ROLES: readonly Role[] = ['admin', 'analyst'];

const two = (scope: Scope): 'own' | 'other' => (scope === 'own' ? 'own' : 'other');
const countryOf = (scope: Scope) => (scope === 'own' ? OWN : OTHER);
const unique = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8).toUpperCase()}`;

/** A valid declaration filed by `country`: MX exports to BO as in API.md, PE exports to CL. */
export function declarationOf(country: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  if (country === OWN) return exportDeclaration({ number: unique('MX'), ...overrides });
  return exportDeclaration({
    country, number: unique(country), partnerCountry: THIRD, originCountry: country, trader: { nationalId: `${country}A-0001`, name: 'Minera Andina SAC' },
    counterparty: { name: 'Quimica del Pacifico SA', country: THIRD }, licenceNumber: undefined, consentReference: undefined, ...overrides,
  });
}

/** A written consent issued by `importing` for mercury from `exporting`. */
export function consentBody(exporting: string, importing: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    reference: unique(`${importing}-PIC`), type: 'written_consent', exportingCountry: exporting, importingCountry: importing, hsCodes: ['280540'],
    quantityKg: 100000, purpose: 'allowed_use', validFrom: '2026-01-01', validTo: '2026-12-31', ...overrides,
  };
}

const CSV_HEADER = 'country,flow,number,date,trader_national_id,trader_name,counterparty_name,counterparty_country,counterparty_address,partner_country,origin_country,transport_document,containers,licence_number,consent_reference,transport_mode,hs_code,description,net_mass_kg,value_usd';
export function csvOf(country: string): Buffer {
  const partner = country === OWN ? PARTNER : THIRD;
  return Buffer.from(`${CSV_HEADER}\n${country},export,${unique(country)},2026-03-01,${country}A-0001,Minera,Importadora,${partner},,${partner},${country},,,,,sea,280540,Mercury,10,500\n`);
}

/** Builds the users and records every scope of every endpoint needs. */
export async function buildWorld(t: TestApp): Promise<World> {
  const as = (user: TestUser | string, method: Method, path: string, body?: object) => requestAs(t, user, method, path, body);
  const created = async (user: TestUser | string, method: Method, path: string, body: object) => {
    const res = await as(user, method, path, body);
    if (res.status >= 300) throw new Error(`fixture ${method} ${path} answered ${res.status}: ${JSON.stringify(res.body)}`);
    return res.body;
  };

  const actors: Actor[] = [];
  for (const role of ROLES) {
    actors.push({ ...(await createUser(t, role, [OWN])), role, label: `${role} of ${OWN}` });
    if (ALL_COUNTRY_ROLES.includes(role)) actors.push({ ...(await createUser(t, role, ['*'])), role, label: `${role} of every country` });
  }
  const makers: World['makers'] = {
    focalMx: await createUser(t, 'focal_point', [OWN]),
    focalPe: await createUser(t, 'focal_point', [OTHER]),
    focalBo: await createUser(t, 'focal_point', [PARTNER]),
    officerMx: await createUser(t, 'customs_officer', [OWN]),
    officerPe: await createUser(t, 'customs_officer', [OTHER]),
    systemMx: await createUser(t, 'system', [OWN]),
    systemPe: await createUser(t, 'system', [OTHER]),
  };

  const traderMx = await created(makers.focalMx, 'post', '/api/v1/traders', { country: OWN, nationalId: 'MXA-0001', name: 'Minera del Norte SA de CV' });
  const traderPe = await created(makers.focalPe, 'post', '/api/v1/traders', { country: OTHER, nationalId: 'PEA-0001', name: 'Minera Andina SAC' });
  const licence = async (scope: 'own' | 'other', number = unique(`${countryOf(scope)}-EXP`)) =>
    (await created(scope === 'own' ? makers.focalMx : makers.focalPe, 'post', '/api/v1/licences', {
      traderId: scope === 'own' ? traderMx.id : traderPe.id, number, type: 'export', hsCodes: ['2805'], maxQuantityKg: 1000000, validFrom: '2026-01-01', validTo: '2026-12-31',
    })).id as string;
  const upload = async (user: TestUser, country: string) => {
    const res = await t.http.post('/api/v1/imports').auth(user.token, { type: 'bearer' }).attach('file', csvOf(country), 'declarations.csv');
    if (res.status !== 202) throw new Error(`fixture upload answered ${res.status}`);
    return res.body.id as string;
  };

  const records: World['records'] = {
    trader: { own: traderMx.id, other: traderPe.id },
    licence: { own: await licence('own', 'MX-EXP-0042'), other: await licence('other') },
    consent: {
      own: (await created(makers.focalMx, 'post', '/api/v1/consents', consentBody(PARTNER, OWN))).id,
      other: (await created(makers.focalPe, 'post', '/api/v1/consents', consentBody(THIRD, OTHER))).id,
      partner: (await created(makers.focalBo, 'post', '/api/v1/consents', consentBody(OWN, PARTNER, { reference: 'BO-PIC-2026-007' }))).id,
    },
    declaration: {
      own: (await created(makers.officerMx, 'post', '/api/v1/declarations', declarationOf(OWN))).id,
      other: (await created(makers.officerPe, 'post', '/api/v1/declarations', declarationOf(OTHER))).id,
    },
    importJob: { own: await upload(makers.systemMx, OWN), other: await upload(makers.systemPe, OTHER) },
    flag: { own: await insertFlag(t, [OWN, PARTNER]), other: await insertFlag(t, [OTHER, THIRD]) },
    run: {
      own: (await created(t.adminToken, 'post', '/api/v1/crosscheck/runs', { countries: [OWN] })).id,
      other: (await created(t.adminToken, 'post', '/api/v1/crosscheck/runs', { countries: [OTHER] })).id,
    },
    user: { own: makers.officerMx, other: makers.officerPe },
  };
  return { t, actors, makers, records };
}

/** A flag straight in the database, as a check would raise it: open, version 1. */
export async function insertFlag(t: TestApp, countries: string[]): Promise<string> {
  const { rows } = await t.db.query(
    `INSERT INTO flags (code, subject, severity, score, summary, countries) VALUES ('CONSENT_MISSING', $1, 'high', 0.9, 'A mercury export without a consent', $2) RETURNING id`,
    [`declaration:${randomUUID()}`, countries],
  );
  return rows[0].id;
}

/** Fresh records for endpoints that change state, so that every request finds its record as new. */
const fresh = {
  async licence(w: World, scope: Scope, suspended = false): Promise<string> {
    const maker = scope === 'own' ? w.makers.focalMx : w.makers.focalPe;
    const res = await requestAs(w.t, maker, 'post', '/api/v1/licences', {
      traderId: w.records.trader[two(scope)], number: unique(`${countryOf(scope)}-EXP`), type: 'export', hsCodes: ['2805'], validFrom: '2026-01-01', validTo: '2026-12-31',
    }).expect(201);
    if (suspended) await requestAs(w.t, maker, 'post', `/api/v1/licences/${res.body.id}/suspend`, { reason: 'Inspection pending' }).expect(200);
    return res.body.id;
  },
  async consent(w: World, scope: Scope): Promise<string> {
    const [maker, body] = scope === 'own' ? [w.makers.focalMx, consentBody(PARTNER, OWN)] : scope === 'other' ? [w.makers.focalPe, consentBody(THIRD, OTHER)] : [w.makers.focalBo, consentBody(OWN, PARTNER)];
    return (await requestAs(w.t, maker, 'post', '/api/v1/consents', body).expect(201)).body.id;
  },
  async declaration(w: World, scope: Scope): Promise<{ id: string; body: Record<string, unknown> }> {
    const body = declarationOf(countryOf(scope));
    const res = await requestAs(w.t, scope === 'own' ? w.makers.officerMx : w.makers.officerPe, 'post', '/api/v1/declarations', body).expect(201);
    return { id: res.body.id, body };
  },
  async user(w: World, scope: Scope): Promise<string> {
    return (await createUser(w.t, 'customs_officer', [countryOf(scope)])).id;
  },
};

const OWN_OTHER: readonly Scope[] = ['own', 'other'];
const WITH_PARTNER: readonly Scope[] = ['own', 'other', 'partner'];
const query = (params: Record<string, string>) => `?${new URLSearchParams(params)}`;

export const ENDPOINTS: readonly Endpoint[] = [
  // Auth and users
  {
    method: 'post', path: '/api/v1/auth/login', permission: 'public', scope: 'none', success: 200, scopes: OWN_OTHER, notAudited: 'a login changes nothing',
    request: async (w, s) => ({ path: '/api/v1/auth/login', body: { email: w.records.user[two(s)].email, password: 'a-password-for-tests' } }),
  },
  {
    method: 'post', path: '/api/v1/users', permission: 'users.manage', scope: 'none', success: 201, scopes: OWN_OTHER,
    request: async (_, s) => ({ path: '/api/v1/users', body: { email: `${unique('user').toLowerCase()}@hgtrace.test`, password: 'a-password-for-tests', role: 'customs_officer', countries: [countryOf(s)] } }),
  },
  { method: 'get', path: '/api/v1/users', permission: 'users.manage', scope: 'none', success: 200, scopes: OWN_OTHER, request: async () => ({ path: '/api/v1/users' }) },
  {
    method: 'get', path: '/api/v1/users/:id', permission: 'users.manage', scope: 'none', success: 200, scopes: OWN_OTHER,
    request: async (w, s) => ({ path: `/api/v1/users/${w.records.user[two(s)].id}` }),
  },
  {
    method: 'delete', path: '/api/v1/users/:id', permission: 'users.manage', scope: 'none', success: 204, scopes: OWN_OTHER,
    request: async (w, s) => ({ path: `/api/v1/users/${await fresh.user(w, s)}` }),
  },
  {
    method: 'post', path: '/api/v1/users/:id/tokens', permission: 'users.manage', scope: 'none', success: 201, scopes: OWN_OTHER,
    request: async (w, s) => ({ path: `/api/v1/users/${(s === 'own' ? w.makers.systemMx : w.makers.systemPe).id}/tokens`, body: { name: unique('feed') } }),
  },
  // Audit
  {
    method: 'get', path: '/api/v1/audit', permission: 'audit.read', scope: 'list', success: 200, scopes: OWN_OTHER, unscopedRoles: ['admin'],
    request: async (w, s) => ({ path: `/api/v1/audit${query({ entity: 'trader', entityId: w.records.trader[two(s)] })}`, probe: w.records.trader[two(s)] }),
  },
  { method: 'get', path: '/api/v1/audit/verify', permission: 'audit.verify', scope: 'none', success: 200, scopes: OWN_OTHER, request: async () => ({ path: '/api/v1/audit/verify' }) },
  // Reference data
  { method: 'get', path: '/api/v1/reference/countries', permission: 'reference.read', scope: 'none', success: 200, scopes: OWN_OTHER, request: async () => ({ path: '/api/v1/reference/countries' }) },
  { method: 'get', path: '/api/v1/reference/hs-codes', permission: 'reference.read', scope: 'none', success: 200, scopes: OWN_OTHER, request: async () => ({ path: '/api/v1/reference/hs-codes?q=2805' }) },
  // Registry
  {
    method: 'post', path: '/api/v1/traders', permission: 'registry.write', scope: 'country', success: 201, scopes: OWN_OTHER,
    request: async (_, s) => ({ path: '/api/v1/traders', body: { country: countryOf(s), nationalId: unique('NID'), name: 'Refinadora del Centro SA', aliases: ['Refinadora'] } }),
  },
  {
    method: 'get', path: '/api/v1/traders', permission: 'registry.read', scope: 'list', success: 200, scopes: OWN_OTHER,
    request: async (w, s) => ({ path: `/api/v1/traders${query({ country: countryOf(s), limit: '500' })}`, probe: w.records.trader[two(s)] }),
  },
  {
    method: 'get', path: '/api/v1/traders/:id', permission: 'registry.read', scope: 'record', success: 200, scopes: OWN_OTHER,
    request: async (w, s) => ({ path: `/api/v1/traders/${w.records.trader[two(s)]}` }),
  },
  {
    method: 'post', path: '/api/v1/licences', permission: 'registry.write', scope: 'record', success: 201, scopes: OWN_OTHER,
    request: async (w, s) => ({
      path: '/api/v1/licences',
      body: { traderId: w.records.trader[two(s)], number: unique('LIC'), type: 'import', hsCodes: ['280540'], maxQuantityKg: 500, validFrom: '2026-01-01', validTo: '2026-12-31' },
    }),
  },
  {
    method: 'get', path: '/api/v1/licences', permission: 'registry.read', scope: 'list', success: 200, scopes: OWN_OTHER,
    request: async (w, s) => ({ path: `/api/v1/licences${query({ traderId: w.records.trader[two(s)], limit: '500' })}`, probe: w.records.licence[two(s)] }),
  },
  {
    method: 'get', path: '/api/v1/licences/:id', permission: 'registry.read', scope: 'record', success: 200, scopes: OWN_OTHER,
    request: async (w, s) => ({ path: `/api/v1/licences/${w.records.licence[two(s)]}?date=2026-03-01` }),
  },
  ...(['suspend', 'revoke', 'reinstate'] as const).map(
    (action): Endpoint => ({
      method: 'post', path: `/api/v1/licences/:id/${action}`, permission: 'registry.write', scope: 'record', success: 200, scopes: OWN_OTHER,
      request: async (w, s) => ({ path: `/api/v1/licences/${await fresh.licence(w, s, action === 'reinstate')}/${action}`, body: { reason: 'Inspection of the storage site' } }),
    }),
  ),
  // Consents
  {
    method: 'post', path: '/api/v1/consents', permission: 'consents.write', scope: 'country', success: 201, scopes: OWN_OTHER,
    request: async (_, s) => ({ path: '/api/v1/consents', body: s === 'own' ? consentBody(PARTNER, OWN) : consentBody(THIRD, OTHER) }),
  },
  {
    method: 'get', path: '/api/v1/consents', permission: 'consents.read', scope: 'list', success: 200, scopes: OWN_OTHER,
    request: async (w, s) => ({ path: `/api/v1/consents${query({ importingCountry: countryOf(s), limit: '500' })}`, probe: w.records.consent[s] }),
  },
  {
    method: 'get', path: '/api/v1/consents/:id', permission: 'consents.read', scope: 'record', success: 200, scopes: WITH_PARTNER,
    request: async (w, s) => ({ path: `/api/v1/consents/${w.records.consent[s]}` }),
  },
  {
    method: 'post', path: '/api/v1/consents/:id/withdraw', permission: 'consents.write', scope: 'record', success: 200, scopes: WITH_PARTNER,
    request: async (w, s) => ({ path: `/api/v1/consents/${await fresh.consent(w, s)}/withdraw`, body: { reason: 'Importer licence revoked' } }),
  },
  // Declarations
  {
    method: 'post', path: '/api/v1/declarations', permission: 'declarations.write', scope: 'country', success: 201, scopes: OWN_OTHER,
    request: async (_, s) => ({ path: '/api/v1/declarations', body: declarationOf(countryOf(s)) }),
  },
  {
    method: 'post', path: '/api/v1/declarations/verify', permission: 'declarations.verify', scope: 'country', success: 200, scopes: OWN_OTHER, notAudited: 'stores nothing',
    request: async (_, s) => ({ path: '/api/v1/declarations/verify', body: declarationOf(countryOf(s)) }),
  },
  {
    method: 'post', path: '/api/v1/declarations/batch', permission: 'declarations.write', scope: 'country', perItem: true, success: 200, scopes: OWN_OTHER,
    request: async (_, s) => ({ path: '/api/v1/declarations/batch', body: { declarations: [declarationOf(countryOf(s))] } }),
  },
  {
    method: 'get', path: '/api/v1/declarations', permission: 'declarations.read', scope: 'list', success: 200, scopes: OWN_OTHER,
    request: async (w, s) => ({ path: `/api/v1/declarations${query({ country: countryOf(s), limit: '500' })}`, probe: w.records.declaration[two(s)] }),
  },
  {
    method: 'get', path: '/api/v1/declarations/:id', permission: 'declarations.read', scope: 'record', success: 200, scopes: OWN_OTHER,
    request: async (w, s) => ({ path: `/api/v1/declarations/${w.records.declaration[two(s)]}` }),
  },
  {
    method: 'put', path: '/api/v1/declarations/:id', permission: 'declarations.write', scope: 'record', success: 200, scopes: OWN_OTHER,
    request: async (w, s) => {
      const { id, body } = await fresh.declaration(w, s);
      return { path: `/api/v1/declarations/${id}`, body: { ...body, version: 1, items: [{ hsCode: '280540', description: 'Mercury, 90 flasks', netMassKg: 3105, valueUsd: 167670 }] } };
    },
  },
  {
    method: 'post', path: '/api/v1/declarations/:id/cancel', permission: 'declarations.write', scope: 'record', success: 200, scopes: OWN_OTHER,
    request: async (w, s) => ({ path: `/api/v1/declarations/${(await fresh.declaration(w, s)).id}/cancel`, body: { reason: 'Shipment withdrawn by the exporter' } }),
  },
  {
    // The rows' countries are judged when the worker reads the file; the upload itself is not scoped.
    method: 'post', path: '/api/v1/imports', permission: 'declarations.write', scope: 'none', success: 202, scopes: OWN_OTHER,
    request: async (_, s) => ({ path: '/api/v1/imports', file: { name: 'declarations.csv', content: csvOf(countryOf(s)) } }),
  },
  {
    method: 'get', path: '/api/v1/imports/:id', permission: 'declarations.read', scope: 'record', success: 200, scopes: OWN_OTHER,
    request: async (w, s) => ({ path: `/api/v1/imports/${w.records.importJob[two(s)]}` }),
  },
  // Flags
  {
    method: 'get', path: '/api/v1/flags', permission: 'flags.read', scope: 'list', success: 200, scopes: OWN_OTHER,
    request: async (w, s) => ({ path: `/api/v1/flags${query({ country: countryOf(s), limit: '500' })}`, probe: w.records.flag[two(s)] }),
  },
  {
    method: 'get', path: '/api/v1/flags/summary', permission: 'flags.read', scope: 'list', success: 200, scopes: OWN_OTHER,
    request: async (_, s) => ({ path: `/api/v1/flags/summary${query({ country: countryOf(s) })}` }),
  },
  {
    method: 'get', path: '/api/v1/flags/export.csv', permission: 'flags.read', scope: 'list', success: 200, scopes: OWN_OTHER,
    request: async (w, s) => ({ path: `/api/v1/flags/export.csv${query({ country: countryOf(s) })}`, probe: w.records.flag[two(s)] }),
  },
  {
    method: 'patch', path: '/api/v1/flags/:id', permission: 'flags.write', scope: 'record', success: 200, scopes: OWN_OTHER,
    request: async (w, s) => ({ path: `/api/v1/flags/${await insertFlag(w.t, s === 'own' ? [OWN, PARTNER] : [OTHER, THIRD])}`, body: { version: 1, status: 'in_review' } }),
  },
  {
    method: 'post', path: '/api/v1/flags/:id/comments', permission: 'flags.comment', scope: 'record', success: 201, scopes: OWN_OTHER,
    request: async (w, s) => ({ path: `/api/v1/flags/${w.records.flag[two(s)]}/comments`, body: { text: 'Asked the carrier for the seal records' } }),
  },
  {
    method: 'get', path: '/api/v1/flags/:id', permission: 'flags.read', scope: 'record', success: 200, scopes: OWN_OTHER,
    request: async (w, s) => ({ path: `/api/v1/flags/${w.records.flag[two(s)]}` }),
  },
  // Cross-check
  {
    method: 'post', path: '/api/v1/crosscheck/runs', permission: 'crosscheck.run', scope: 'country', success: 202, scopes: OWN_OTHER,
    request: async (_, s) => ({ path: '/api/v1/crosscheck/runs', body: { from: '2026-01-01', to: '2026-12-31', countries: [countryOf(s)], asOf: '2026-11-01' } }),
  },
  {
    method: 'get', path: '/api/v1/crosscheck/runs/:id', permission: 'crosscheck.read', scope: 'record', success: 200, scopes: OWN_OTHER,
    request: async (w, s) => ({ path: `/api/v1/crosscheck/runs/${w.records.run[two(s)]}` }),
  },
  {
    method: 'get', path: '/api/v1/mirror', permission: 'mirror.read', scope: 'list', success: 200, scopes: OWN_OTHER,
    request: async (_, s) => ({ path: `/api/v1/mirror${query({ country: countryOf(s) })}` }),
  },
  {
    method: 'get', path: '/api/v1/reports/article21', permission: 'reports.read', scope: 'country', success: 200, scopes: OWN_OTHER,
    request: async (_, s) => ({ path: `/api/v1/reports/article21${query({ country: countryOf(s), from: '2026-01-01', to: '2026-12-31' })}` }),
  },
  // Operations
  { method: 'get', path: '/health/live', permission: 'public', scope: 'none', success: 200, scopes: OWN_OTHER, request: async () => ({ path: '/health/live' }) },
  { method: 'get', path: '/health/ready', permission: 'public', scope: 'none', success: 200, scopes: OWN_OTHER, request: async () => ({ path: '/health/ready' }) },
  { method: 'get', path: '/metrics', permission: 'public', scope: 'none', success: 200, scopes: OWN_OTHER, request: async () => ({ path: '/metrics' }) },
];

export const routeKey = (e: Pick<Endpoint, 'method' | 'path'>) => `${e.method.toUpperCase()} ${e.path}`;

/**
 * What the access policy says a caller gets: `ok`, or why not. Derived from the PERMISSIONS table and
 * the endpoint's scope rule, never written per cell, so the matrix follows the policy as it changes.
 */
export type Verdict = 'ok' | 'unauthenticated' | 'no-permission' | 'hidden' | 'out-of-scope';

export function verdict(e: Endpoint, actor: Pick<Actor, 'role' | 'countries'> | null, scope: Scope): Verdict {
  if (e.permission === 'public') return 'ok';
  if (!actor) return 'unauthenticated';
  if (!(PERMISSIONS[e.permission] as readonly Role[]).includes(actor.role)) return 'no-permission';
  if (seesEverything(e, actor) || scope === 'own' || e.scope === 'none' || e.scope === 'list') return 'ok';
  if (e.scope === 'country') return 'out-of-scope';
  if (scope === 'partner') return e.method === 'get' ? 'ok' : 'out-of-scope';
  return 'hidden';
}

/** Whether the actor sees the records of every country at this endpoint. */
export function seesEverything(e: Endpoint, actor: Pick<Actor, 'role' | 'countries'>): boolean {
  return actor.countries.includes('*') || (e.unscopedRoles ?? []).includes(actor.role);
}

export function expectedStatus(e: Endpoint, v: Verdict): number {
  switch (v) {
    case 'ok': return e.success;
    case 'unauthenticated': return 401;
    case 'no-permission': return 403;
    case 'hidden': return 404;
    case 'out-of-scope': return e.perItem ? e.success : 403;
  }
}

/** Sends a request spec as `token` (none for an anonymous caller). */
export function send(t: TestApp, e: Pick<Endpoint, 'method'>, spec: RequestSpec, token: string | null) {
  let request = t.http[e.method](spec.path);
  if (token !== null) request = request.set('Authorization', `Bearer ${token}`);
  if (spec.file) return request.attach('file', spec.file.content, spec.file.name);
  return spec.body === undefined ? request : request.send(spec.body as object);
}

/** An actor allowed to call the endpoint, scoped to OWN where the role allows it (the fuzzer's caller). */
export function allowedActor(w: World, e: Endpoint): Actor | null {
  if (e.permission === 'public') return null;
  const roles = PERMISSIONS[e.permission] as readonly Role[];
  const actor = w.actors.find((a) => roles.includes(a.role) && !a.countries.includes('*')) ?? w.actors.find((a) => roles.includes(a.role));
  if (!actor) throw new Error(`no actor holds ${e.permission}`);
  return actor;
}
