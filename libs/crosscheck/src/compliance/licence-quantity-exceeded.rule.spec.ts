import { DEFAULT_COMPLIANCE_OPTIONS } from './compliance.rules.js';
import { buildComplianceFacts, buildItem, buildLicence, type ComplianceFactsOverrides } from './compliance.fixtures.js';
import { licenceQuantityExceededRule } from './licence-quantity-exceeded.rule.js';

const run = (overrides: ComplianceFactsOverrides = {}) =>
  licenceQuantityExceededRule(buildComplianceFacts(overrides), DEFAULT_COMPLIANCE_OPTIONS);

describe('LICENCE_QUANTITY_EXCEEDED', () => {
  it('finds nothing well under the ceiling', () => {
    expect(run()).toEqual([]);
  });

  it('accepts a ceiling reached exactly and fires at 0.001 kg over', () => {
    expect(run({ licence: { usedByOthersKg: 6550 } })).toEqual([]);
    expect(run({ licence: { usedByOthersKg: 6550 }, declaration: { items: [buildItem({ netMassKg: 3450.001 })] } })).toEqual([
      {
        code: 'LICENCE_QUANTITY_EXCEEDED',
        severity: 'high',
        message: 'Licence MX-EXP-0042 allows 10,000 kg; with this declaration 10,000.001 kg are declared under it, 0.001 kg over',
        evidence: {
          licenceNumber: 'MX-EXP-0042',
          maxQuantityKg: 10000,
          usedByOthersKg: 6550,
          declarationKg: 3450.001,
          totalKg: 10000.001,
          excessKg: 0.001,
        },
      },
    ]);
  });

  it('says how far over the ceiling the declaration goes', () => {
    expect(run({ licence: { usedByOthersKg: 7000 } }).map((f) => f.message)).toEqual([
      'Licence MX-EXP-0042 allows 10,000 kg; with this declaration 10,450 kg are declared under it, 450 kg over',
    ]);
  });

  it('sums in grams, so 0.1 + 0.2 kg reaches a 0.3 kg ceiling exactly', () => {
    const items = [buildItem({ netMassKg: 0.2 })];
    expect(run({ licence: { maxQuantityKg: 0.3, usedByOthersKg: 0.1 }, declaration: { items } })).toEqual([]);
  });

  it('sums the mercury and compound items the licence covers, and nothing else', () => {
    const licence = { hsCodes: ['28'], usedByOthersKg: 6000 };
    const compound = buildItem({ hsCode: '285210', netMassKg: 550, mercuryClass: 'compound' });
    const unrelated = buildItem({ hsCode: '282300', netMassKg: 5000, mercuryClass: 'other' });
    expect(run({ licence, declaration: { items: [buildItem(), compound, unrelated] } })).toEqual([]);
    const findings = run({ licence, declaration: { items: [buildItem(), compound, { ...compound, netMassKg: 1 }] } });
    expect(findings.map((f) => f.message)).toEqual([
      'Licence MX-EXP-0042 allows 10,000 kg; with this declaration 10,001 kg are declared under it, 1 kg over',
    ]);
  });

  it('does not apply to a licence without a ceiling', () => {
    expect(run({ licence: { maxQuantityKg: null, usedByOthersKg: 1_000_000 } })).toEqual([]);
  });

  it('leaves an unusable licence to LICENCE_INACTIVE', () => {
    expect(run({ licence: { usedByOthersKg: 9000, statusOnDate: 'suspended' } })).toEqual([]);
  });

  it('counts against the first usable licence when none is cited', () => {
    const expired = buildLicence({ id: 'lic-2025', number: 'MX-EXP-0007', validTo: '2026-02-28', usedByOthersKg: 9999 });
    const current = buildLicence({ id: 'lic-0043', number: 'MX-EXP-0043', usedByOthersKg: 7000 });
    expect(run({ declaration: { licenceNumber: null }, traderLicences: [expired, current] }).map((f) => f.message)).toEqual([
      'Licence MX-EXP-0043 allows 10,000 kg; with this declaration 10,450 kg are declared under it, 450 kg over',
    ]);
  });

  it('ignores goods outside the licence rules', () => {
    const items = [buildItem({ hsCode: '251710', mercuryClass: 'cover', netMassKg: 40_000 })];
    expect(run({ licence: { hsCodes: ['25'] }, declaration: { items } })).toEqual([]);
  });
});
