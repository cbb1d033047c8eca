import { compoundExportNotificationRule } from './compound-export-notification.rule.js';
import { buildComplianceFacts, buildConsent, buildItem, type ComplianceFactsOverrides } from './compliance.fixtures.js';

const compound = buildItem({ hsCode: '285210', netMassKg: 200, mercuryClass: 'compound' });
const notification = buildConsent({
  id: 'notif-1',
  reference: 'MX-RC-2026-011',
  type: 'export_notification',
  exporterNationalId: null,
  importerName: null,
  hsCodes: ['2852'],
  quantityKg: null,
});
const on = { requireExportNotificationForCompounds: true };
const run = (overrides: ComplianceFactsOverrides = {}, options = on) =>
  compoundExportNotificationRule(
    buildComplianceFacts({ declaration: { items: [compound] }, pairConsents: [notification], ...overrides }),
    options,
  );
const MISSING = 'No export notification covers this mercury compound export (HS 285210)';

describe('CONSENT_MISSING for mercury compound exports (export notification)', () => {
  it('is off by default', () => {
    expect(run({ pairConsents: [] }, { requireExportNotificationForCompounds: false })).toEqual([]);
  });

  it('finds nothing when a notification in force covers the compound', () => {
    expect(run()).toEqual([]);
  });

  it('fires, at medium severity, when no notification covers the compound', () => {
    expect(run({ pairConsents: [] })).toEqual([
      {
        code: 'CONSENT_MISSING',
        severity: 'medium',
        message: MISSING,
        evidence: {
          reason: 'no_export_notification',
          exportingCountry: 'MX',
          importingCountry: 'BO',
          hsCodes: ['285210'],
          date: '2026-03-01',
        },
      },
    ]);
  });

  it('accepts a notification withdrawn the day after and fires when withdrawn on the day', () => {
    expect(run({ pairConsents: [{ ...notification, status: 'withdrawn', withdrawnOn: '2026-03-02' }] })).toEqual([]);
    expect(run({ pairConsents: [{ ...notification, status: 'withdrawn', withdrawnOn: '2026-03-01' }] }).map((f) => f.message)).toEqual([
      MISSING,
    ]);
  });

  it('accepts the last valid day and fires the day after', () => {
    expect(run({ pairConsents: [{ ...notification, validTo: '2026-03-01' }] })).toEqual([]);
    expect(run({ pairConsents: [{ ...notification, validTo: '2026-02-28' }] })).toHaveLength(1);
  });

  it('does not count a written consent, a notification the other way, or one for another HS code', () => {
    expect(run({ pairConsents: [buildConsent({ hsCodes: ['2852'] })] })).toHaveLength(1);
    expect(run({ pairConsents: [{ ...notification, exportingCountry: 'BO', importingCountry: 'MX' }] })).toHaveLength(1);
    expect(run({ pairConsents: [{ ...notification, hsCodes: ['285290'] }] })).toHaveLength(1);
  });

  it('does not apply to imports or to mercury', () => {
    expect(run({ pairConsents: [], declaration: { flow: 'import', items: [compound] } })).toEqual([]);
    expect(run({ pairConsents: [], declaration: { items: [buildItem()] } })).toEqual([]);
  });
});
