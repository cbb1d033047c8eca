import { DEFAULT_COMPLIANCE_OPTIONS } from './compliance.rules.js';
import { buildComplianceFacts, buildConsent, buildItem, type ComplianceFactsOverrides } from './compliance.fixtures.js';
import { consentMissingRule } from './consent-missing.rule.js';

const run = (overrides: ComplianceFactsOverrides = {}) =>
  consentMissingRule(buildComplianceFacts(overrides), DEFAULT_COMPLIANCE_OPTIONS);
/** The declaration cites no consent: the rule looks for one among the pair's consents. */
const uncited = (overrides: ComplianceFactsOverrides = {}) =>
  run({ ...overrides, declaration: { consentReference: null, ...overrides.declaration } });
const NONE = 'No active consent from BO covers this mercury export of 3,450 kg dated 2026-03-01';

describe('CONSENT_MISSING', () => {
  it('finds nothing when the cited consent fits', () => {
    expect(run()).toEqual([]);
  });

  it('finds nothing when no consent is cited but one of the pair fits', () => {
    expect(uncited()).toEqual([]);
  });

  it('fires when no consent is cited and none exists', () => {
    expect(uncited({ pairConsents: [] })).toEqual([
      {
        code: 'CONSENT_MISSING',
        severity: 'high',
        message: NONE,
        evidence: {
          reason: 'no_consent',
          exportingCountry: 'MX',
          importingCountry: 'BO',
          hsCodes: ['280540'],
          mercuryKg: 3450,
          date: '2026-03-01',
        },
      },
    ]);
  });

  it('fires when the cited consent does not exist, even if another fits', () => {
    const findings = run({ declaration: { consentReference: 'BO-PIC-2026-999' }, citedConsent: null });
    expect(findings.map((f) => f.message)).toEqual(['Cited consent BO-PIC-2026-999 does not exist']);
    expect(findings[0].evidence).toMatchObject({ reason: 'cited_consent_unknown', fittingConsentReference: 'BO-PIC-2026-007' });
  });

  it('says so when the cited consent does not exist and none fits', () => {
    expect(run({ declaration: { consentReference: 'BO-PIC-2026-999' }, citedConsent: null, pairConsents: [] }).map((f) => f.message)).toEqual([
      `Cited consent BO-PIC-2026-999 does not exist; no active consent from BO covers this mercury export of 3,450 kg dated 2026-03-01`,
    ]);
  });

  it('leaves a cited consent that exists but does not fit to CONSENT_MISMATCH', () => {
    const wrongPair = buildConsent({ exportingCountry: 'PE' });
    expect(run({ citedConsent: wrongPair, pairConsents: [] })).toEqual([]);
  });

  it('accepts a consent withdrawn the day after the declaration and fires when withdrawn on the day', () => {
    expect(uncited({ consent: { status: 'withdrawn', withdrawnOn: '2026-03-02' } })).toEqual([]);
    expect(uncited({ consent: { status: 'withdrawn', withdrawnOn: '2026-03-01' } }).map((f) => f.message)).toEqual([NONE]);
    expect(uncited({ consent: { status: 'withdrawn', withdrawnOn: '2026-02-20' } }).map((f) => f.message)).toEqual([NONE]);
  });

  it('accepts a declaration on the first and last days of the consent and fires outside them', () => {
    expect(uncited({ consent: { validFrom: '2026-03-01' } })).toEqual([]);
    expect(uncited({ consent: { validFrom: '2026-03-02' } })).toHaveLength(1);
    expect(uncited({ consent: { validTo: '2026-03-01' } })).toEqual([]);
    expect(uncited({ consent: { validTo: '2026-02-28' } })).toHaveLength(1);
  });

  it('needs the consent to name the declaring exporter, if it names one', () => {
    expect(uncited({ consent: { exporterNationalId: null } })).toEqual([]);
    expect(uncited({ consent: { exporterNationalId: 'MXB-0002' } })).toHaveLength(1);
  });

  it('compares importer names without case, accents, punctuation or legal forms', () => {
    expect(uncited({ consent: { importerName: null } })).toEqual([]);
    expect(uncited({ consent: { importerName: 'Comercializadora Andína, S.R.L.' } })).toEqual([]);
    expect(uncited({ consent: { importerName: 'Comercializadora Andes SRL' } })).toHaveLength(1);
  });

  it('needs the consent to cover every mercury item', () => {
    const items = [buildItem({ hsCode: '2805400010' }), buildItem({ hsCode: '2805400090' })];
    expect(uncited({ declaration: { consentReference: null, items }, consent: { hsCodes: ['2805'] } })).toEqual([]);
    expect(uncited({ declaration: { consentReference: null, items }, consent: { hsCodes: ['2805400010'] } })).toHaveLength(1);
  });

  it('accepts a general notification and refuses an export notification, a consent the other way, or another pair', () => {
    expect(uncited({ consent: { type: 'general_notification', exporterNationalId: null, importerName: null } })).toEqual([]);
    expect(uncited({ consent: { type: 'export_notification' } })).toHaveLength(1);
    expect(uncited({ consent: { exportingCountry: 'BO', importingCountry: 'MX' } })).toHaveLength(1);
    expect(uncited({ consent: { exportingCountry: 'PE' } })).toHaveLength(1);
  });

  it('finds the one fitting consent among several', () => {
    const withdrawn = buildConsent({ id: 'c-1', reference: 'BO-PIC-2025-001', status: 'withdrawn', withdrawnOn: '2025-12-01' });
    expect(uncited({ pairConsents: [withdrawn, buildConsent()] })).toEqual([]);
  });

  it('does not apply to imports, compounds or other goods', () => {
    expect(run({ declaration: { flow: 'import', consentReference: null }, pairConsents: [] })).toEqual([]);
    const compound = buildItem({ hsCode: '285210', mercuryClass: 'compound' });
    expect(uncited({ declaration: { consentReference: null, items: [compound] }, pairConsents: [] })).toEqual([]);
    const other = buildItem({ hsCode: '251710', mercuryClass: 'other' });
    expect(uncited({ declaration: { consentReference: null, items: [other] }, pairConsents: [] })).toEqual([]);
  });
});
