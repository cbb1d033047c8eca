import { DEFAULT_COMPLIANCE_OPTIONS } from './compliance.rules.js';
import { buildComplianceFacts, buildConsent, buildItem, type ComplianceFactsOverrides } from './compliance.fixtures.js';
import { consentQuantityExceededRule } from './consent-quantity-exceeded.rule.js';

const run = (overrides: ComplianceFactsOverrides = {}) =>
  consentQuantityExceededRule(buildComplianceFacts(overrides), DEFAULT_COMPLIANCE_OPTIONS);
const messages = (overrides: ComplianceFactsOverrides = {}) => run(overrides).map((f) => f.message);

describe('CONSENT_QUANTITY_EXCEEDED', () => {
  it('finds nothing with quantity to spare', () => {
    expect(run()).toEqual([]);
  });

  it('accepts a consent with exactly enough left and fires when 1 kg short', () => {
    expect(run({ consent: { usedByOthersKg: 1550 } })).toEqual([]);
    expect(run({ consent: { usedByOthersKg: 1551 } })).toEqual([
      {
        code: 'CONSENT_QUANTITY_EXCEEDED',
        severity: 'high',
        message: 'Consent BO-PIC-2026-007 allows 5,000 kg; 1,551 kg were already drawn and this declaration adds 3,450 kg, 1 kg over',
        evidence: {
          consentReference: 'BO-PIC-2026-007',
          quantityKg: 5000,
          usedByOthersKg: 1551,
          declarationKg: 3450,
          excessKg: 1,
        },
      },
    ]);
  });

  it('says what was drawn, what this declaration adds and by how much it goes over', () => {
    expect(
      messages({ consent: { quantityKg: 3450, usedByOthersKg: 1000 }, declaration: { items: [buildItem({ netMassKg: 3000 })] } }),
    ).toEqual(['Consent BO-PIC-2026-007 allows 3,450 kg; 1,000 kg were already drawn and this declaration adds 3,000 kg, 550 kg over']);
  });

  it('sums the mercury items in grams and leaves compounds out', () => {
    const items = [
      buildItem({ netMassKg: 0.1 }),
      buildItem({ netMassKg: 0.2 }),
      buildItem({ hsCode: '285210', netMassKg: 50, mercuryClass: 'compound' }),
    ];
    expect(run({ consent: { quantityKg: 0.3 }, declaration: { items } })).toEqual([]);
    expect(messages({ consent: { quantityKg: 0.299 }, declaration: { items } })).toEqual([
      'Consent BO-PIC-2026-007 allows 0.299 kg; 0 kg were already drawn and this declaration adds 0.3 kg, 0.001 kg over',
    ]);
  });

  it('does not apply to a consent without a quantity', () => {
    expect(run({ consent: { quantityKg: null, usedByOthersKg: 99_999 } })).toEqual([]);
  });

  it('draws on the first fitting consent when the cited one does not fit', () => {
    const cited = buildConsent({ id: 'c-pe', reference: 'BO-PIC-2026-003', exportingCountry: 'PE', usedByOthersKg: 4999 });
    const wrongPair = buildConsent({ id: 'c-x', reference: 'BO-PIC-2026-001', exportingCountry: 'PE', quantityKg: 1 });
    const fitting = buildConsent({ id: 'c-8', reference: 'BO-PIC-2026-008', quantityKg: 3000 });
    expect(
      messages({ citedConsent: cited, pairConsents: [wrongPair, fitting, buildConsent()], declaration: { consentReference: 'BO-PIC-2026-003' } }),
    ).toEqual(['Consent BO-PIC-2026-008 allows 3,000 kg; 0 kg were already drawn and this declaration adds 3,450 kg, 450 kg over']);
  });

  it('leaves an export without a fitting consent to CONSENT_MISSING and CONSENT_MISMATCH', () => {
    expect(run({ consent: { quantityKg: 1, status: 'withdrawn', withdrawnOn: '2026-01-15' } })).toEqual([]);
  });

  it('does not apply to imports', () => {
    expect(run({ declaration: { flow: 'import' }, consent: { quantityKg: 1 } })).toEqual([]);
  });
});
