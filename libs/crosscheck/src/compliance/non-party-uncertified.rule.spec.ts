import { DEFAULT_COMPLIANCE_OPTIONS } from './compliance.rules.js';
import { buildComplianceFacts, buildConsent, buildItem, type ComplianceFactsOverrides } from './compliance.fixtures.js';
import { nonPartyUncertifiedRule } from './non-party-uncertified.rule.js';

const run = (overrides: ComplianceFactsOverrides = {}) =>
  nonPartyUncertifiedRule(buildComplianceFacts(overrides), DEFAULT_COMPLIANCE_OPTIONS);
const messages = (overrides: ComplianceFactsOverrides = {}) => run(overrides).map((f) => f.message);
const BO_NOT_PARTY = 'BO is not a Party to the Minamata Convention on 2026-03-01 and no consent carries the non-Party certification';
/** An import into MX of mercury consigned from BO. */
const importFromBo = { flow: 'import', country: 'MX', partnerCountry: 'BO', consentReference: null } as const;

describe('NON_PARTY_UNCERTIFIED', () => {
  it('finds nothing when both countries are Parties', () => {
    expect(run()).toEqual([]);
  });

  it('accepts a partner that became a Party on the declaration date and fires when it does the day after', () => {
    expect(run({ partySince: { partner: '2026-03-01' } })).toEqual([]);
    expect(run({ partySince: { partner: '2026-03-02' } })).toEqual([
      {
        code: 'NON_PARTY_UNCERTIFIED',
        severity: 'high',
        message: BO_NOT_PARTY,
        evidence: {
          nonParties: ['BO'],
          partySince: { MX: '2017-08-16', BO: '2026-03-02' },
          exportingCountry: 'MX',
          importingCountry: 'BO',
          date: '2026-03-01',
        },
      },
    ]);
  });

  it('fires for a partner that is no Party at all', () => {
    expect(messages({ partySince: { partner: null } })).toEqual([BO_NOT_PARTY]);
  });

  it('is satisfied by a consent in force from the exporting country that carries the certification', () => {
    expect(run({ partySince: { partner: null }, consent: { nonPartyCertification: true } })).toEqual([]);
  });

  it('does not count a certification on a withdrawn, expired or reversed consent', () => {
    const partySince = { partner: null };
    expect(run({ partySince, consent: { nonPartyCertification: true, status: 'withdrawn', withdrawnOn: '2026-03-01' } })).toHaveLength(1);
    expect(run({ partySince, consent: { nonPartyCertification: true, status: 'withdrawn', withdrawnOn: '2026-03-02' } })).toEqual([]);
    expect(run({ partySince, consent: { nonPartyCertification: true, validTo: '2026-02-28' } })).toHaveLength(1);
    expect(run({ partySince, consent: { nonPartyCertification: true, exportingCountry: 'BO', importingCountry: 'MX' } })).toHaveLength(1);
  });

  it('fires for an export from a declaring country that is not a Party, naming both when neither is', () => {
    expect(messages({ partySince: { country: '2026-03-02' } })).toEqual([
      'MX is not a Party to the Minamata Convention on 2026-03-01 and no consent carries the non-Party certification',
    ]);
    expect(messages({ partySince: { country: null, partner: null } })).toEqual([
      'MX and BO are not Parties to the Minamata Convention on 2026-03-01 and no consent carries the non-Party certification',
    ]);
  });

  it('on an import, looks at the consignment country and a certification in the import direction', () => {
    const certifiedIntoMx = buildConsent({ exportingCountry: 'BO', importingCountry: 'MX', nonPartyCertification: true });
    expect(messages({ declaration: importFromBo, partySince: { partner: null }, pairConsents: [] })).toEqual([BO_NOT_PARTY]);
    expect(run({ declaration: importFromBo, partySince: { partner: null }, pairConsents: [certifiedIntoMx] })).toEqual([]);
    expect(run({ declaration: importFromBo, partySince: { partner: null }, consent: { nonPartyCertification: true } })).toHaveLength(1);
  });

  it('on an import, does not look at the declaring country', () => {
    expect(run({ declaration: importFromBo, partySince: { country: null } })).toEqual([]);
  });

  it('looks only at mercury', () => {
    const partySince = { partner: null };
    expect(run({ partySince, declaration: { items: [buildItem({ hsCode: '285210', mercuryClass: 'compound' })] } })).toEqual([]);
    expect(run({ partySince, declaration: { items: [buildItem({ hsCode: '251710', mercuryClass: 'other' })] } })).toEqual([]);
  });
});
