import { laneOf } from '@hgtrace/common';
import { buildComplianceFacts, buildConsent, buildItem, buildLicence } from './compliance.fixtures.js';
import { evaluateCompliance } from './index.js';

describe('evaluateCompliance', () => {
  it('finds nothing on a compliant mercury export', () => {
    const findings = evaluateCompliance(buildComplianceFacts());
    expect(findings).toEqual([]);
    expect(laneOf(findings)).toBe('green');
  });

  it('finds nothing on goods outside the mercury rules, whatever the registries hold', () => {
    const facts = buildComplianceFacts({
      declaration: { items: [buildItem({ hsCode: '847130', mercuryClass: 'other', netMassKg: 12 })], licenceNumber: null, consentReference: null },
      traderRegistered: false,
      traderLicences: [],
      pairConsents: [],
      partySince: { country: null, partner: null },
    });
    expect(evaluateCompliance(facts, { requireExportNotificationForCompounds: true })).toEqual([]);
  });

  it('reports findings in the order of the rules', () => {
    const facts = buildComplianceFacts({
      declaration: {
        licenceNumber: 'MX-EXP-9999',
        consentReference: 'BO-PIC-2026-003',
        items: [buildItem(), buildItem({ hsCode: '285210', netMassKg: 10, mercuryClass: 'compound' })],
      },
      traderRegistered: false,
      citedLicence: null,
      traderLicences: [buildLicence({ statusOnDate: 'suspended', hsCodes: ['2805', '2852'] })],
      citedConsent: buildConsent({ id: 'c-3', reference: 'BO-PIC-2026-003', exportingCountry: 'PE' }),
      pairConsents: [buildConsent({ quantityKg: 100 })],
      partySince: { partner: null },
    });
    const findings = evaluateCompliance(facts, { requireExportNotificationForCompounds: true });
    expect(findings.map((f) => [f.code, f.severity])).toEqual([
      ['LICENCE_MISSING', 'high'],
      ['LICENCE_MISSING', 'high'],
      ['LICENCE_INACTIVE', 'high'],
      ['CONSENT_MISMATCH', 'high'],
      ['CONSENT_QUANTITY_EXCEEDED', 'high'],
      ['NON_PARTY_UNCERTIFIED', 'high'],
      ['CONSENT_MISSING', 'medium'],
    ]);
    expect(laneOf(findings)).toBe('red');
  });

  it('reports a mismatched cited consent without CONSENT_MISSING when another consent fits', () => {
    const facts = buildComplianceFacts({
      declaration: { consentReference: 'BO-PIC-2026-003' },
      citedConsent: buildConsent({ id: 'c-3', reference: 'BO-PIC-2026-003', status: 'withdrawn', withdrawnOn: '2026-02-20' }),
    });
    expect(evaluateCompliance(facts).map((f) => f.message)).toEqual(['Consent BO-PIC-2026-003 was withdrawn on 2026-02-20']);
  });

  it('adds CONSENT_MISSING only when nothing fits at all', () => {
    const facts = buildComplianceFacts({ declaration: { consentReference: null }, pairConsents: [] });
    expect(evaluateCompliance(facts).map((f) => f.code)).toEqual(['CONSENT_MISSING']);
  });

  it('leaves the export-notification check off unless asked', () => {
    const facts = buildComplianceFacts({
      declaration: { items: [buildItem({ hsCode: '285210', mercuryClass: 'compound' })] },
      licence: { hsCodes: ['2852'] },
    });
    expect(evaluateCompliance(facts)).toEqual([]);
    expect(evaluateCompliance(facts, { requireExportNotificationForCompounds: undefined })).toEqual([]);
    expect(evaluateCompliance(facts, { requireExportNotificationForCompounds: true }).map((f) => f.severity)).toEqual(['medium']);
  });

  it('is deterministic', () => {
    const facts = buildComplianceFacts({ declaration: { consentReference: null }, pairConsents: [], partySince: { partner: null } });
    expect(evaluateCompliance(facts)).toEqual(evaluateCompliance(facts));
  });
});
