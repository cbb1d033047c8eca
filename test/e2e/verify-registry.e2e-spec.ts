import { ComplianceFactsService, type DeclarationContent, VerifyRegistry, verdictOf } from '@hgtrace/crosscheck';
import { exportDeclaration } from '../support/factories.js';
import { createUser, requestAs, startTestApp, type TestApp, type TestUser } from '../support/test-app.js';

/**
 * Verify from the registries held in the api's memory (VerifyRegistry): the same verdicts as the
 * facts statement, a change to the registries seen the moment it commits (by whatever means, with no
 * notice), and the used quantities of every filing counted at once, without reading the registries again.
 */
describe('verify from the registries held in memory', () => {
  let t: TestApp;
  let registry: VerifyRegistry;
  let facts: ComplianceFactsService;
  let focal: TestUser;
  let focalBo: TestUser;
  let officer: TestUser;
  let licenceA: { id: string };

  /** A declaration of trader `nationalId`, as verify takes it. */
  const content = (nationalId: string, change: Record<string, unknown> = {}) =>
    exportDeclaration({ trader: { nationalId, name: 'Trader' }, licenceNumber: undefined, consentReference: undefined, ...change }) as unknown as DeclarationContent;

  /** The facts from the registries held, once they are (the first call reads them in the background). */
  async function held(c: DeclarationContent) {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const found = await registry.factsOf(c);
      if (found) return found;
      if (Date.now() > deadline) throw new Error('the registries were not held within 10 s');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  const version = async () => (await t.db.query(`SELECT version::text FROM registry_version`)).rows[0].version as string;

  beforeAll(async () => {
    t = await startTestApp();
    registry = t.app.get(VerifyRegistry);
    facts = t.app.get(ComplianceFactsService);
    focal = await createUser(t, 'focal_point', ['MX']);
    focalBo = await createUser(t, 'focal_point', ['BO']);
    officer = await createUser(t, 'customs_officer', ['MX']);
    const trader = async (nationalId: string) => (await requestAs(t, focal, 'post', '/api/v1/traders', { country: 'MX', nationalId, name: `Trader ${nationalId}` }).expect(201)).body;
    const licence = async (traderId: string, number: string, change: object = {}) =>
      (await requestAs(t, focal, 'post', '/api/v1/licences', { traderId, number, type: 'export', hsCodes: ['2805'], validFrom: '2026-01-01', validTo: '2026-12-31', ...change }).expect(201)).body;
    const a = await trader('A-1');
    licenceA = await licence(a.id, 'LIC-A', { maxQuantityKg: 10_000 });
    const b = await trader('B-1');
    const lb = await licence(b.id, 'LIC-B');
    await requestAs(t, focal, 'post', `/api/v1/licences/${lb.id}/suspend`, { reason: 'Inspection failed' }).expect(200);
    await trader('C-1');
    await requestAs(t, focalBo, 'post', '/api/v1/consents', {
      reference: 'BO-5000', type: 'written_consent', exportingCountry: 'MX', importingCountry: 'BO', hsCodes: ['280540'], purpose: 'allowed_use', validFrom: '2026-01-01', validTo: '2026-12-31', quantityKg: 5000,
    }).expect(201);
    await requestAs(t, officer, 'post', '/api/v1/declarations', content('A-1', { number: 'MX-A-FILED', consentReference: 'BO-5000', items: [{ hsCode: '280540', netMassKg: 4000, valueUsd: 200_000 }] })).expect(201);
  });
  afterAll(() => t.close());

  it('gives the verdict the facts statement gives, for each kind of declaration', async () => {
    const cases = [
      content('A-1'),
      content('A-1', { licenceNumber: 'LIC-A', consentReference: 'BO-5000', items: [{ hsCode: '280540', netMassKg: 2000, valueUsd: 100_000 }] }),
      content('A-1', { items: [{ hsCode: '280540', netMassKg: 7000, valueUsd: 350_000 }] }),
      content('A-1', { date: '2025-06-01' }),
      content('A-1', { licenceNumber: 'LIC-B' }),
      content('B-1'),
      content('C-1', { consentReference: 'NO-SUCH-REF' }),
      content('NOT-REGISTERED'),
      content('A-1', { partnerCountry: 'PE', counterparty: { name: 'Compradora SAC', country: 'PE' } }),
      content('A-1', { items: [{ hsCode: '853931', netMassKg: 10, valueUsd: 500 }] }),
    ];
    for (const c of cases) expect(verdictOf(await held(c))).toEqual(verdictOf(await facts.gather(c)));
  });

  it('counts a filing at once, without reading the registries again (a filing leaves their version as it is)', async () => {
    const c = content('A-1', { consentReference: 'BO-5000' });
    const before = verdictOf(await held(c));
    const at = await version();
    // Counted against the licence and drawn from the consent.
    await requestAs(t, officer, 'post', '/api/v1/declarations', content('A-1', { number: 'MX-A-MORE', consentReference: 'BO-5000', items: [{ hsCode: '280540', netMassKg: 500, valueUsd: 25_000 }] })).expect(201);
    expect(await version()).toBe(at);
    const after = await registry.factsOf(c);
    expect(after).not.toBeNull();
    expect(verdictOf(after!).licence!.usedByOthersKg).toBe(before.licence!.usedByOthersKg + 500);
    expect(verdictOf(after!).consent!.remainingKg).toBe(before.consent!.remainingKg! - 500);
    expect(verdictOf(after!)).toEqual(verdictOf(await facts.gather(c)));
  });

  it('sees a change to the registries the moment it commits, made by SQL with no notice at all', async () => {
    const c = content('A-1');
    const codes = (v: { findings: { code: string }[] }) => v.findings.map((f) => f.code);
    expect(codes(verdictOf(await held(c)))).not.toContain('LICENCE_INACTIVE');
    await t.db.query(`UPDATE licences SET status = 'revoked' WHERE id = $1`, [licenceA.id]);
    // The held registries are no longer trusted: the verdict is the facts statement's, at once.
    expect(await registry.factsOf(c)).toBeNull();
    const verdict = (await requestAs(t, officer, 'post', '/api/v1/declarations/verify', c).expect(200)).body;
    expect(codes(verdict)).toContain('LICENCE_INACTIVE');
    // Read again in the background, the registries are held as they now are.
    expect(verdictOf(await held(c))).toEqual(verdictOf(await facts.gather(c)));
    expect(codes(verdictOf(await held(c)))).toContain('LICENCE_INACTIVE');
  });
});
