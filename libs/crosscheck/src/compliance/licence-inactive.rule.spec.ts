import { DEFAULT_COMPLIANCE_OPTIONS } from './compliance.rules.js';
import { buildComplianceFacts, buildItem, buildLicence, type ComplianceFactsOverrides } from './compliance.fixtures.js';
import { licenceInactiveRule } from './licence-inactive.rule.js';

const run = (overrides: ComplianceFactsOverrides = {}) =>
  licenceInactiveRule(buildComplianceFacts(overrides), DEFAULT_COMPLIANCE_OPTIONS);
const messages = (overrides: ComplianceFactsOverrides = {}) => run(overrides).map((f) => f.message);

describe('LICENCE_INACTIVE', () => {
  it('finds nothing for an active licence within its validity', () => {
    expect(run()).toEqual([]);
  });

  it('accepts a declaration on the last valid day and fires the day after', () => {
    expect(run({ declaration: { date: '2026-12-31' } })).toEqual([]);
    expect(run({ declaration: { date: '2027-01-01' } })).toEqual([
      {
        code: 'LICENCE_INACTIVE',
        severity: 'high',
        message: 'Licence MX-EXP-0042 expired on 2026-12-31; the declaration is dated 2027-01-01',
        evidence: {
          licenceNumber: 'MX-EXP-0042',
          status: 'expired',
          validFrom: '2026-01-01',
          validTo: '2026-12-31',
          date: '2027-01-01',
        },
      },
    ]);
  });

  it('accepts a declaration on the first valid day and fires the day before', () => {
    expect(run({ declaration: { date: '2026-01-01' } })).toEqual([]);
    const findings = run({ declaration: { date: '2025-12-31' } });
    expect(findings.map((f) => f.message)).toEqual([
      'Licence MX-EXP-0042 is valid only from 2026-01-01; the declaration is dated 2025-12-31',
    ]);
    expect(findings[0].evidence).toMatchObject({ status: 'not_yet_valid' });
  });

  it('names the suspension, its date and reason', () => {
    expect(
      messages({
        declaration: { date: '2026-03-15' },
        licence: {
          statusOnDate: 'suspended',
          lastChange: { to: 'suspended', at: '2026-03-10T14:02:00.000Z', reason: 'Storage inspection failed' },
        },
      }),
    ).toEqual(['Licence MX-EXP-0042 was suspended on 2026-03-10 (Storage inspection failed); the declaration is dated 2026-03-15']);
  });

  it('fires for a revoked licence even without its history', () => {
    const findings = run({ licence: { statusOnDate: 'revoked' } });
    expect(findings.map((f) => f.message)).toEqual(['Licence MX-EXP-0042 is revoked; the declaration is dated 2026-03-01']);
    expect(findings[0].evidence).toMatchObject({ status: 'revoked' });
  });

  it('is satisfied by one usable licence among several when none is cited', () => {
    const expired = buildLicence({ id: 'lic-2025', number: 'MX-EXP-0007', validFrom: '2025-01-01', validTo: '2025-12-31' });
    expect(run({ declaration: { licenceNumber: null }, traderLicences: [expired, buildLicence()] })).toEqual([]);
  });

  it('fires for the cited licence even when another licence would do', () => {
    const suspended = buildLicence({ statusOnDate: 'suspended' });
    const other = buildLicence({ id: 'lic-0043', number: 'MX-EXP-0043' });
    expect(messages({ traderLicences: [suspended, other], citedLicence: suspended })).toEqual([
      'Licence MX-EXP-0042 is suspended; the declaration is dated 2026-03-01',
    ]);
  });

  it("falls back to the trader's licences when the cited one is not theirs", () => {
    const foreign = buildLicence({ id: 'lic-b', number: 'MX-EXP-0099', traderNationalId: 'MXB-0002', statusOnDate: 'revoked' });
    expect(run({ citedLicence: foreign, declaration: { licenceNumber: 'MX-EXP-0099' } })).toEqual([]);
  });

  it('reports the licence an officer would look at when none is usable', () => {
    const old = buildLicence({ id: 'lic-2024', number: 'MX-EXP-0001', validFrom: '2024-01-01', validTo: '2024-12-31' });
    const lastYear = buildLicence({ id: 'lic-2025', number: 'MX-EXP-0007', validFrom: '2025-01-01', validTo: '2025-12-31' });
    const next = buildLicence({ id: 'lic-2027', number: 'MX-EXP-0100', validFrom: '2027-01-01', validTo: '2027-12-31' });
    const suspended = buildLicence({ statusOnDate: 'suspended' });
    const noCitation = { declaration: { licenceNumber: null } };
    expect(messages({ ...noCitation, traderLicences: [old, next, suspended, lastYear] })).toEqual([
      'Licence MX-EXP-0042 is suspended; the declaration is dated 2026-03-01',
    ]);
    expect(messages({ ...noCitation, traderLicences: [old, next, lastYear] })).toEqual([
      'Licence MX-EXP-0007 expired on 2025-12-31; the declaration is dated 2026-03-01',
    ]);
  });

  it('reports a licence once however many items it covers', () => {
    const items = [buildItem(), buildItem({ hsCode: '2805400010', netMassKg: 10 })];
    expect(run({ declaration: { items }, licence: { statusOnDate: 'suspended' } })).toHaveLength(1);
  });

  it('leaves a trader without a covering licence to LICENCE_MISSING', () => {
    expect(run({ traderLicences: [], declaration: { licenceNumber: null } })).toEqual([]);
  });

  it('ignores goods outside the licence rules', () => {
    expect(run({ declaration: { items: [buildItem({ mercuryClass: 'product', hsCode: '853931' })] }, licence: { statusOnDate: 'revoked' } })).toEqual([]);
  });

  it('looks at mercury compounds', () => {
    const compound = buildItem({ hsCode: '285210', mercuryClass: 'compound' });
    expect(messages({ declaration: { items: [compound] }, licence: { hsCodes: ['2852'], statusOnDate: 'revoked' } })).toEqual([
      'Licence MX-EXP-0042 is revoked; the declaration is dated 2026-03-01',
    ]);
  });
});
