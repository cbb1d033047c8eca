import { DEFAULT_COMPLIANCE_OPTIONS } from './compliance.rules.js';
import { buildComplianceFacts, buildItem, buildLicence, type ComplianceFactsOverrides } from './compliance.fixtures.js';
import { licenceMissingRule } from './licence-missing.rule.js';

const run = (overrides: ComplianceFactsOverrides = {}) =>
  licenceMissingRule(buildComplianceFacts(overrides), DEFAULT_COMPLIANCE_OPTIONS);
const messages = (overrides: ComplianceFactsOverrides = {}) => run(overrides).map((f) => f.message);

describe('LICENCE_MISSING', () => {
  it('finds nothing when the exporter cites its own licence covering the item', () => {
    expect(run()).toEqual([]);
  });

  it('finds nothing when the exporter cites none but holds a covering licence', () => {
    expect(run({ declaration: { licenceNumber: null } })).toEqual([]);
  });

  it('accepts a licence that covers the item by a shorter prefix', () => {
    expect(run({ licence: { hsCodes: ['2805'] }, declaration: { licenceNumber: null } })).toEqual([]);
  });

  it('fires when the exporter holds no licence at all', () => {
    const findings = run({ traderLicences: [], declaration: { licenceNumber: null } });
    expect(findings).toEqual([
      {
        code: 'LICENCE_MISSING',
        severity: 'high',
        message: 'Exporter MXA-0001 holds no export licence covering HS 280540',
        evidence: { reason: 'no_licence', traderNationalId: 'MXA-0001', licenceType: 'export', hsCodes: ['280540'] },
      },
    ]);
  });

  it('fires when the only licence is for another HS code, another flow or another country', () => {
    const noCitation = { declaration: { licenceNumber: null } };
    expect(messages({ ...noCitation, licence: { hsCodes: ['2852'] } })).toEqual([
      'Exporter MXA-0001 holds no export licence covering HS 280540',
    ]);
    expect(messages({ ...noCitation, licence: { type: 'import' } })).toEqual([
      'Exporter MXA-0001 holds no export licence covering HS 280540',
    ]);
    expect(messages({ ...noCitation, licence: { country: 'PE' } })).toEqual([
      'Exporter MXA-0001 holds no export licence covering HS 280540',
    ]);
  });

  it('does not look at status or dates: that is LICENCE_INACTIVE', () => {
    expect(run({ licence: { statusOnDate: 'revoked', validTo: '2025-12-31' } })).toEqual([]);
  });

  it('fires when the cited licence number does not exist in the declaring country', () => {
    expect(messages({ declaration: { licenceNumber: 'MX-EXP-9999' }, citedLicence: null })).toEqual([
      'Cited licence MX-EXP-9999 does not exist in MX',
    ]);
  });

  it('fires when the cited licence is held by another trader', () => {
    const own = buildLicence({ id: 'lic-0001', number: 'MX-EXP-0001' });
    const other = buildLicence({ traderId: 'trader-mxb-0002', traderNationalId: 'MXB-0002' });
    const findings = run({ traderLicences: [own], citedLicence: other });
    expect(findings.map((f) => f.message)).toEqual([
      'Licence MX-EXP-0042 is held by MXB-0002, not by the declaring exporter MXA-0001',
    ]);
    expect(findings[0].evidence).toMatchObject({ reason: 'cited_licence_mismatch', holderNationalId: 'MXB-0002' });
  });

  it('fires when the cited licence is of the other type', () => {
    const importLicence = buildLicence({ id: 'lic-imp', number: 'MX-IMP-0042', type: 'import' });
    expect(
      messages({ traderLicences: [importLicence], citedLicence: importLicence, declaration: { licenceNumber: 'MX-IMP-0042' } }),
    ).toEqual([
      'Licence MX-IMP-0042 is an import licence, not an export licence',
      'Exporter MXA-0001 holds no export licence covering HS 280540',
    ]);
  });

  it('lists every problem with the cited licence in one finding', () => {
    const other = buildLicence({ traderNationalId: 'MXB-0002', type: 'import', hsCodes: ['2852'] });
    expect(messages({ traderLicences: [buildLicence({ number: 'MX-EXP-0001' })], citedLicence: other })).toEqual([
      'Licence MX-EXP-0042 is held by MXB-0002, not by the declaring exporter MXA-0001; ' +
        'it is an import licence, not an export licence; it does not cover HS 280540',
    ]);
  });

  it('fires for a compound item the licence does not cover, naming the HS code once', () => {
    const compound = buildItem({ hsCode: '285210', netMassKg: 100, mercuryClass: 'compound' });
    expect(messages({ declaration: { items: [buildItem(), compound, { ...compound, netMassKg: 5 }] } })).toEqual([
      'Licence MX-EXP-0042 does not cover HS 285210',
      'Exporter MXA-0001 holds no export licence covering HS 285210',
    ]);
  });

  it('fires when the exporter is not registered', () => {
    expect(messages({ traderRegistered: false })).toEqual([
      'Exporter MXA-0001 (Minera del Norte SA de CV) is not registered in MX',
    ]);
  });

  it('speaks of the importer on an import', () => {
    expect(
      messages({
        declaration: { flow: 'import', country: 'BO', partnerCountry: 'MX', licenceNumber: null, trader: { nationalId: 'BOI-77', name: 'Andina' } },
        traderLicences: [],
        traderRegistered: false,
      }),
    ).toEqual([
      'Importer BOI-77 (Andina) is not registered in BO',
      'Importer BOI-77 holds no import licence covering HS 280540',
    ]);
  });

  it('ignores products, cover codes and other goods', () => {
    for (const mercuryClass of ['product', 'cover', 'other'] as const) {
      expect(
        run({ declaration: { items: [buildItem({ hsCode: '251710', mercuryClass })] }, traderLicences: [], traderRegistered: false }),
      ).toEqual([]);
    }
  });
});
