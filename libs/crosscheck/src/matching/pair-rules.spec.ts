import type { RuleCode } from '@hgtrace/common';
import { DEFAULT_MATCHING_OPTIONS, selectMatches } from './matcher.js';
import { exportOf, importOf, itemOf, undocumentedImportOf } from './matching.fixtures.js';
import type { PairFinding, ShipmentFacts } from './matching.types.js';
import { pairFindings } from './pair-rules.js';

const options = DEFAULT_MATCHING_OPTIONS;

/** Matches the candidates to the export as the worker does, then runs the pair rules. */
function check(candidates: ShipmentFacts[], exp: ShipmentFacts = exportOf()): PairFinding[] {
  const { matches, diverted } = selectMatches(exp, candidates, options);
  return pairFindings(exp, matches, diverted, options);
}
const codes = (candidates: ShipmentFacts[], exp?: ShipmentFacts) => check(candidates, exp).map((f) => f.code);
const finding = (code: RuleCode, candidates: ShipmentFacts[], exp?: ShipmentFacts) =>
  check(candidates, exp).find((f) => f.code === code);
const importOfKg = (netMassKg: number, overrides: Partial<ShipmentFacts> = {}) =>
  importOf({ items: [itemOf({ netMassKg, valueUsd: 197_478 })], ...overrides });

describe('pairFindings', () => {
  it('raises nothing on a clean shipment with realistic noise', () => {
    const imp = importOf({
      date: '2026-03-22',
      traderName: 'IMPORTADORA ANDÍNA S.R.L.',
      items: [itemOf({ netMassKg: 3415.5, valueUsd: 197_478 })],
    });
    expect(check([imp])).toEqual([]);
    expect(check([undocumentedImportOf({ date: '2026-03-22', items: [itemOf({ netMassKg: 3415.5, valueUsd: 197_478 })] })])).toEqual([]);
  });

  it('raises nothing without matches', () => {
    expect(check([])).toEqual([]);
    expect(pairFindings(exportOf(), [], [], options)).toEqual([]);
  });

  describe('ROUTE_MISMATCH', () => {
    it('fires when the bill of lading was imported into a third country', () => {
      const peru = importOf({ id: 'imp-pe-55', country: 'PE', number: 'PE-2026-55' });
      expect(check([peru])).toEqual([
        {
          code: 'ROUTE_MISMATCH',
          severity: 'high',
          message: 'Export MX-2026-000123 of 3,450 kg to BO: the same shipment (bill of lading MSCU1234567) was imported into PE as PE-2026-55',
          declarationIds: ['exp-mx-123', 'imp-pe-55'],
          countries: ['BO', 'MX', 'PE'],
          evidence: {
            destination: 'BO',
            importedInto: ['PE'],
            transportDocument: 'MSCU1234567',
            containers: [],
            importNumbers: ['PE-2026-55'],
          },
        },
      ]);
    });

    it('names the container when the container ties them', () => {
      const peru = importOf({ id: 'imp-pe-55', country: 'PE', number: 'PE-2026-55', transportDocumentKey: null });
      expect(finding('ROUTE_MISMATCH', [peru])?.message).toBe(
        'Export MX-2026-000123 of 3,450 kg to BO: the same shipment (container MSCU7654321) was imported into PE as PE-2026-55',
      );
    });

    it('fires beside the other rules when part of the shipment reached the destination', () => {
      const peru = importOfKg(1450, { id: 'imp-pe-55', country: 'PE', number: 'PE-2026-55' });
      const bolivia = importOf({ items: [itemOf({ netMassKg: 2000, valueUsd: 114_480 })] });
      const found = check([peru, bolivia]);
      // The destination received only its part: its mass and value fall short of the export's.
      expect(found.map((f) => f.code)).toEqual(['ROUTE_MISMATCH', 'QUANTITY_MISMATCH', 'VALUE_ANOMALY']);
      expect(found[1].message).toBe('Export MX-2026-000123 of 3,450 kg to BO: import BO-2026-889 declares 2,000 kg, 42.0 % less');
    });
  });

  describe('QUANTITY_MISMATCH', () => {
    it('says how much less was imported', () => {
      expect(check([importOfKg(2760)])).toEqual([
        {
          code: 'QUANTITY_MISMATCH',
          severity: 'high',
          message: 'Export MX-2026-000123 of 3,450 kg to BO: import BO-2026-889 declares 2,760 kg, 20.0 % less',
          declarationIds: ['exp-mx-123', 'imp-bo-889'],
          countries: ['BO', 'MX'],
          evidence: { exportedKg: 3450, importedKg: 2760, differenceKg: -690, differencePct: -20, tolerancePct: 2, toleranceKg: 1 },
        },
      ]);
    });

    it('does not fire at exactly 2 % and fires at 2.1 %', () => {
      expect(codes([importOfKg(3381)])).toEqual([]);
      expect(codes([importOfKg(3519)])).toEqual([]);
      const less = finding('QUANTITY_MISMATCH', [importOfKg(3377.55)]);
      expect(less?.severity).toBe('medium');
      expect(less?.message).toBe('Export MX-2026-000123 of 3,450 kg to BO: import BO-2026-889 declares 3,377.55 kg, 2.1 % less');
      expect(finding('QUANTITY_MISMATCH', [importOfKg(3522.45)])?.message).toBe(
        'Export MX-2026-000123 of 3,450 kg to BO: import BO-2026-889 declares 3,522.45 kg, 2.1 % more',
      );
    });

    it('does not fire for 1 kg or less, whatever the percentage', () => {
      const small = exportOf({ items: [itemOf({ netMassKg: 40, valueUsd: 2160 })] });
      const smallImport = (kg: number) => importOf({ items: [itemOf({ netMassKg: kg, valueUsd: 2289.6 })] });
      expect(codes([smallImport(39)], small)).toEqual([]);
      expect(finding('QUANTITY_MISMATCH', [smallImport(38.9)], small)?.message).toBe(
        'Export MX-2026-000123 of 40 kg to BO: import BO-2026-889 declares 38.9 kg, 2.8 % less',
      );
    });

    it('is high past 10 % either way, medium up to it', () => {
      expect(finding('QUANTITY_MISMATCH', [importOfKg(3105)])?.severity).toBe('medium');
      expect(finding('QUANTITY_MISMATCH', [importOfKg(3104.9)])?.severity).toBe('high');
      expect(finding('QUANTITY_MISMATCH', [importOfKg(3795)])?.severity).toBe('medium');
      const more = finding('QUANTITY_MISMATCH', [importOfKg(3796)]);
      expect(more?.severity).toBe('high');
      expect(more?.message).toBe('Export MX-2026-000123 of 3,450 kg to BO: import BO-2026-889 declares 3,796 kg, 10.0 % more');
    });

    it('sums the parts of a shipment', () => {
      const part = (id: string, number: string, date: string, kg: number, valueUsd: number) =>
        importOf({ id, number, date, items: [itemOf({ netMassKg: kg, valueUsd })] });
      const first = part('imp-901', 'BO-2026-901', '2026-03-15', 2000, 114_480);
      expect(check([part('imp-950', 'BO-2026-950', '2026-03-25', 1450, 82_998), first])).toEqual([]);
      const short = finding('QUANTITY_MISMATCH', [part('imp-950', 'BO-2026-950', '2026-03-25', 1000, 82_998), first]);
      expect(short).toMatchObject({
        severity: 'high',
        message: 'Export MX-2026-000123 of 3,450 kg to BO: imports BO-2026-901 and BO-2026-950 declare 3,000 kg together, 13.0 % less',
        declarationIds: ['exp-mx-123', 'imp-901', 'imp-950'],
        evidence: { exportedKg: 3450, importedKg: 3000, differenceKg: -450 },
      });
    });

    it('sums masses in grams', () => {
      const exp = exportOf({ items: [itemOf({ netMassKg: 0.1 }), itemOf({ netMassKg: 0.2 })] });
      const imp = importOf({ items: [itemOf({ netMassKg: 0.3, valueUsd: 197_478 })] });
      expect(finding('QUANTITY_MISMATCH', [imp], exp)).toBeUndefined();
    });
  });

  describe('HS_CODE_MISMATCH', () => {
    it('is high for mercury declared as crushed stone', () => {
      const stone = importOf({ items: [itemOf({ hsCode: '251710', mercuryClass: 'cover', valueUsd: 197_478 })] });
      expect(check([stone])).toEqual([
        {
          code: 'HS_CODE_MISMATCH',
          severity: 'high',
          message: 'Export MX-2026-000123 declares HS 280540, import BO-2026-889 declares HS 251710',
          declarationIds: ['exp-mx-123', 'imp-bo-889'],
          countries: ['BO', 'MX'],
          evidence: { exportedHsCodes: ['280540'], importedHsCodes: ['251710'], exportedMercury: true, importedMercury: false },
        },
      ]);
    });

    it('is medium for another subheading of the same heading', () => {
      const compound = (hsCode: string) => [itemOf({ hsCode, mercuryClass: 'compound', valueUsd: 186_300 })];
      const exp = exportOf({ items: compound('285210') });
      const imp = importOf({ items: [itemOf({ hsCode: '285290', mercuryClass: 'compound', valueUsd: 197_478 })] });
      expect(finding('HS_CODE_MISMATCH', [imp], exp)).toMatchObject({
        severity: 'medium',
        message: 'Export MX-2026-000123 declares HS 285210, import BO-2026-889 declares HS 285290',
      });
    });

    it('compares six digits only, across all the parts', () => {
      const national = importOf({ items: [itemOf({ hsCode: '2805400010', valueUsd: 197_478 })] });
      expect(check([national])).toEqual([]);
      const parts = [
        importOf({ id: 'imp-1', number: 'BO-1', items: [itemOf({ netMassKg: 3000, valueUsd: 170_000 })] }),
        importOf({ id: 'imp-2', number: 'BO-2', items: [itemOf({ hsCode: '251710', mercuryClass: 'cover', netMassKg: 450, valueUsd: 27_478 })] }),
      ];
      expect(finding('HS_CODE_MISMATCH', parts)).toMatchObject({
        severity: 'medium',
        message: 'Export MX-2026-000123 declares HS 280540, imports BO-1 and BO-2 declare HS 280540, 251710',
      });
    });
  });

  describe('COUNTERPARTY_MISMATCH', () => {
    it('fires when the importer is another company', () => {
      expect(check([importOf({ traderName: 'Comercial Pacifico Ltda' })])).toEqual([
        {
          code: 'COUNTERPARTY_MISMATCH',
          severity: 'medium',
          message:
            'Export MX-2026-000123 names consignee Importadora Andina S.R.L., import BO-2026-889 is declared by Comercial Pacifico Ltda (similarity 0.00)',
          declarationIds: ['exp-mx-123', 'imp-bo-889'],
          countries: ['BO', 'MX'],
          evidence: {
            consignee: 'Importadora Andina S.R.L.',
            importers: [{ number: 'BO-2026-889', importer: 'Comercial Pacifico Ltda', similarity: 0 }],
            threshold: 0.45,
          },
        },
      ]);
    });

    it('does not fire just above the threshold and fires just below it', () => {
      // 13/28 = 0.464 and 12/27 = 0.444 (trigram.spec.ts).
      expect(check([importOf({ traderName: 'Importaciones Andinas SRL' })])).toEqual([]);
      expect(finding('COUNTERPARTY_MISMATCH', [importOf({ traderName: 'Importadora del Sur SRL' })])?.message).toBe(
        'Export MX-2026-000123 names consignee Importadora Andina S.R.L., import BO-2026-889 is declared by Importadora del Sur SRL (similarity 0.44)',
      );
    });

    it('leaves attribute matches alone: they passed the name test to be matched', () => {
      const agent = undocumentedImportOf({ traderName: 'Agencia Despachante Illimani' });
      expect(check([agent])).toEqual([]);
    });
  });

  describe('DATE_ANOMALY', () => {
    it('accepts an import dated 1 day before the export and fires at 2 days', () => {
      expect(check([importOf({ date: '2026-02-28' })])).toEqual([]);
      expect(check([importOf({ date: '2026-02-27' })])).toEqual([
        {
          code: 'DATE_ANOMALY',
          severity: 'medium',
          message: 'Import BO-2026-889 is dated 2026-02-27, 2 days before export MX-2026-000123 (2026-03-01)',
          declarationIds: ['exp-mx-123', 'imp-bo-889'],
          countries: ['BO', 'MX'],
          evidence: { exportDate: '2026-03-01', imports: [{ number: 'BO-2026-889', date: '2026-02-27', daysBefore: 2 }], toleranceDays: 1 },
        },
      ]);
    });

    it('names only the early parts', () => {
      const early = importOf({ id: 'imp-1', number: 'BO-1', date: '2026-02-20', items: [itemOf({ netMassKg: 2000, valueUsd: 114_480 })] });
      const onTime = importOf({ id: 'imp-2', number: 'BO-2', items: [itemOf({ netMassKg: 1450, valueUsd: 82_998 })] });
      expect(finding('DATE_ANOMALY', [early, onTime])).toMatchObject({
        message: 'Import BO-1 is dated 2026-02-20, 9 days before export MX-2026-000123 (2026-03-01)',
        declarationIds: ['exp-mx-123', 'imp-1'],
      });
    });
  });

  describe('VALUE_ANOMALY', () => {
    const valued = (valueUsd: number) => importOf({ items: [itemOf({ valueUsd })] });

    it('does not fire at exactly 25 % from FOB + 6 % and fires past it', () => {
      expect(check([valued(246_847.5)])).toEqual([]);
      expect(check([valued(148_108.5)])).toEqual([]);
      expect(check([valued(247_045)])).toEqual([
        {
          code: 'VALUE_ANOMALY',
          severity: 'low',
          message:
            'Export MX-2026-000123 is valued 186,300 USD (FOB), import BO-2026-889 247,045 USD (CIF): 25.1 % above the expected 197,478 USD (FOB + 6 %)',
          declarationIds: ['exp-mx-123', 'imp-bo-889'],
          countries: ['BO', 'MX'],
          evidence: {
            exportValueUsd: 186_300,
            importValueUsd: 247_045,
            expectedImportValueUsd: 197_478,
            differencePct: 25.1,
            cifFobPct: 6,
            tolerancePct: 25,
          },
        },
      ]);
      expect(finding('VALUE_ANOMALY', [valued(148_000)])?.message).toBe(
        'Export MX-2026-000123 is valued 186,300 USD (FOB), import BO-2026-889 148,000 USD (CIF): 25.1 % below the expected 197,478 USD (FOB + 6 %)',
      );
    });

    it('is skipped when the export has no value', () => {
      expect(check([valued(10)], exportOf({ items: [itemOf({ valueUsd: 0 })] }))).toEqual([]);
    });
  });

  it('runs the rules in a fixed order', () => {
    const everything = importOf({
      traderName: 'Comercial Pacifico Ltda',
      date: '2026-02-20',
      items: [itemOf({ hsCode: '251710', mercuryClass: 'cover', netMassKg: 2000, valueUsd: 40_000 })],
    });
    const peru = importOf({ id: 'imp-pe', country: 'PE', number: 'PE-2026-55', containerKeys: [] });
    expect(codes([everything, peru])).toEqual([
      'ROUTE_MISMATCH',
      'QUANTITY_MISMATCH',
      'HS_CODE_MISMATCH',
      'COUNTERPARTY_MISMATCH',
      'DATE_ANOMALY',
      'VALUE_ANOMALY',
    ]);
  });
});
