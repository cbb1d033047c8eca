import { DEFAULT_COMPLIANCE_OPTIONS } from './compliance.rules.js';
import { buildComplianceFacts, buildConsent, buildItem, type ComplianceFactsOverrides } from './compliance.fixtures.js';
import { consentMismatchRule } from './consent-mismatch.rule.js';

const run = (overrides: ComplianceFactsOverrides = {}) =>
  consentMismatchRule(buildComplianceFacts(overrides), DEFAULT_COMPLIANCE_OPTIONS);
const messages = (overrides: ComplianceFactsOverrides = {}) => run(overrides).map((f) => f.message);

describe('CONSENT_MISMATCH', () => {
  it('finds nothing when the cited consent fits', () => {
    expect(run()).toEqual([]);
  });

  it('names another country pair', () => {
    const findings = run({ consent: { exportingCountry: 'PE' } });
    expect(findings.map((f) => f.message)).toEqual(['Consent BO-PIC-2026-007 is for exports from PE to BO, not MX to BO']);
    expect(findings[0]).toMatchObject({ code: 'CONSENT_MISMATCH', severity: 'high' });
    expect(findings[0].evidence).toMatchObject({ consentReference: 'BO-PIC-2026-007', exportingCountry: 'PE' });
  });

  it('accepts a consent withdrawn the day after the declaration and fires when withdrawn on or before it', () => {
    expect(run({ consent: { status: 'withdrawn', withdrawnOn: '2026-03-02' } })).toEqual([]);
    expect(messages({ consent: { status: 'withdrawn', withdrawnOn: '2026-03-01' } })).toEqual([
      'Consent BO-PIC-2026-007 was withdrawn on 2026-03-01',
    ]);
    expect(messages({ consent: { status: 'withdrawn', withdrawnOn: '2026-02-20' } })).toEqual([
      'Consent BO-PIC-2026-007 was withdrawn on 2026-02-20',
    ]);
  });

  it('accepts the last day of validity and fires the day after', () => {
    const consent = { validTo: '2026-06-30' };
    expect(run({ consent, declaration: { date: '2026-06-30' } })).toEqual([]);
    expect(messages({ consent, declaration: { date: '2026-07-01' } })).toEqual([
      'Consent BO-PIC-2026-007 is valid 2026-01-01 to 2026-06-30; the declaration is dated 2026-07-01',
    ]);
  });

  it('accepts the first day of validity and fires the day before', () => {
    expect(run({ consent: { validFrom: '2026-03-01' } })).toEqual([]);
    expect(messages({ consent: { validFrom: '2026-03-02' } })).toEqual([
      'Consent BO-PIC-2026-007 is valid 2026-03-02 to 2026-12-31; the declaration is dated 2026-03-01',
    ]);
  });

  it('names another exporter or importer', () => {
    expect(messages({ consent: { exporterNationalId: 'MXB-0002' } })).toEqual([
      'Consent BO-PIC-2026-007 names exporter MXB-0002, not MXA-0001',
    ]);
    expect(messages({ consent: { importerName: 'Fundición Oruro SA' } })).toEqual([
      'Consent BO-PIC-2026-007 names importer Fundición Oruro SA, not COMERCIALIZADORA ANDINA SRL',
    ]);
  });

  it('names the HS codes it does not cover', () => {
    const items = [buildItem(), buildItem({ hsCode: '2805409000', netMassKg: 1 })];
    expect(messages({ consent: { hsCodes: ['28054000'] }, declaration: { items } })).toEqual([
      'Consent BO-PIC-2026-007 does not cover HS 280540, 2805409000',
    ]);
  });

  it('refuses an export notification for a mercury export', () => {
    expect(messages({ consent: { type: 'export_notification' } })).toEqual([
      'Consent BO-PIC-2026-007 is an export notification, which does not authorise a mercury export',
    ]);
  });

  it('lists every reason in one finding', () => {
    expect(messages({ consent: { exportingCountry: 'PE', status: 'withdrawn', withdrawnOn: '2026-02-20' } })).toEqual([
      'Consent BO-PIC-2026-007 is for exports from PE to BO, not MX to BO; it was withdrawn on 2026-02-20',
    ]);
  });

  it('fires even when another consent would fit', () => {
    const cited = buildConsent({ id: 'c-pe', reference: 'BO-PIC-2026-003', exportingCountry: 'PE' });
    expect(messages({ citedConsent: cited, declaration: { consentReference: 'BO-PIC-2026-003' } })).toEqual([
      'Consent BO-PIC-2026-003 is for exports from PE to BO, not MX to BO',
    ]);
  });

  it('does not fire without a citation, for a cited consent that does not exist, or on imports and other goods', () => {
    const withdrawn = { status: 'withdrawn', withdrawnOn: '2026-02-20' } as const;
    expect(run({ consent: withdrawn, declaration: { consentReference: null } })).toEqual([]);
    expect(run({ citedConsent: null })).toEqual([]);
    expect(run({ consent: withdrawn, declaration: { flow: 'import' } })).toEqual([]);
    const compound = buildItem({ hsCode: '285210', mercuryClass: 'compound' });
    expect(run({ consent: withdrawn, declaration: { items: [compound] } })).toEqual([]);
  });
});
