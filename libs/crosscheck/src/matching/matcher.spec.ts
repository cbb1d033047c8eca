import { seededRandom } from '@hgtrace/testing';
import { DEFAULT_MATCHING_OPTIONS, matchBasis, selectMatches } from './matcher.js';
import { exportOf, importOf, itemOf, undocumentedImportOf } from './matching.fixtures.js';
import type { ShipmentFacts } from './matching.types.js';

const options = DEFAULT_MATCHING_OPTIONS;
const basis = (imp: ShipmentFacts, exp: ShipmentFacts = exportOf()) => matchBasis(exp, imp, options);
const numbers = (matches: { import: ShipmentFacts }[]) => matches.map((m) => m.import.number);

describe('matchBasis', () => {
  it('matches a shared transport document', () => {
    expect(basis(importOf())).toBe('transport_document');
    expect(basis(importOf({ containerKeys: [] }))).toBe('transport_document');
  });

  it('matches a shared container when a transport document is missing on either side', () => {
    expect(basis(importOf({ transportDocumentKey: null }))).toBe('container');
    expect(basis(importOf({ transportDocumentKey: null }), exportOf({ transportDocumentKey: null }))).toBe('container');
    expect(basis(importOf(), exportOf({ transportDocumentKey: null, containerKeys: ['TGHU0000001', 'MSCU7654321'] }))).toBe(
      'container',
    );
  });

  it('does not match two declarations whose transport documents differ, even with a shared container', () => {
    expect(basis(importOf({ transportDocumentKey: 'MAEU9999999' }))).toBeNull();
  });

  it('matches the same document or container imported into a third country (the caller calls it diverted)', () => {
    expect(basis(importOf({ country: 'PE', number: 'PE-2026-55' }))).toBe('transport_document');
    expect(basis(importOf({ country: 'PE', transportDocumentKey: null }))).toBe('container');
  });

  describe('without a shared document or container', () => {
    it('matches on route, window, HS heading and similar names', () => {
      expect(basis(undocumentedImportOf())).toBe('attributes');
      expect(basis(undocumentedImportOf(), exportOf({ transportDocumentKey: null, containerKeys: [] }))).toBe('attributes');
    });

    it('accepts another subheading of the same heading', () => {
      expect(basis(undocumentedImportOf({ items: [itemOf({ hsCode: '280530', mercuryClass: 'other' })] }))).toBe('attributes');
      expect(basis(undocumentedImportOf({ items: [itemOf({ hsCode: '251710', mercuryClass: 'cover' })] }))).toBeNull();
    });

    it('matches names that differ only in case, accents and legal forms', () => {
      expect(basis(undocumentedImportOf({ traderName: 'importadora andína ltda.' }))).toBe('attributes');
      expect(basis(undocumentedImportOf({ traderName: 'IMPORTADORA ANDINA' }))).toBe('attributes');
      expect(basis(undocumentedImportOf(), exportOf({ counterpartyName: 'Importadóra Andina, S. R. L.' }))).toBe('attributes');
    });

    it('matches when the exporter is the named consignor, though an agent declared the import', () => {
      expect(basis(undocumentedImportOf({ traderName: 'Agencia Despachante Illimani' }))).toBe('attributes');
    });

    it('does not match dissimilar names', () => {
      expect(
        basis(undocumentedImportOf({ traderName: 'Comercial Pacifico Ltda', counterpartyName: 'Metales del Golfo SA' })),
      ).toBeNull();
    });

    it('matches within the window of 120 days and not a day later', () => {
      expect(basis(undocumentedImportOf({ date: '2026-06-29' }))).toBe('attributes');
      expect(basis(undocumentedImportOf({ date: '2026-06-30' }))).toBeNull();
    });

    it('accepts an import dated one day before the export, not two', () => {
      expect(basis(undocumentedImportOf({ date: '2026-02-28' }))).toBe('attributes');
      expect(basis(undocumentedImportOf({ date: '2026-02-27' }))).toBeNull();
    });

    it('requires the import in the destination, from the exporting country', () => {
      expect(basis(undocumentedImportOf({ country: 'PE' }))).toBeNull();
      expect(basis(undocumentedImportOf({ partnerCountry: 'PE' }))).toBeNull();
      expect(basis(undocumentedImportOf({ flow: 'export' }))).toBeNull();
    });
  });
});

describe('selectMatches', () => {
  it('scores a documented match 1 and an attribute match by its name similarity', () => {
    expect(selectMatches(exportOf(), [importOf()], options)).toEqual({
      matches: [{ import: importOf(), basis: 'transport_document', score: 1 }],
      diverted: [],
    });
    const similar = undocumentedImportOf({ traderName: 'Importaciones Andinas SRL', counterpartyName: 'Otra Empresa SA' });
    const { matches } = selectMatches(exportOf(), [similar], options);
    expect(matches).toHaveLength(1);
    expect(matches[0].basis).toBe('attributes');
    expect(matches[0].score).toBeCloseTo(13 / 28, 10);
  });

  it('keeps every part of a shipment, ordered by date then number', () => {
    const second = importOf({ id: 'imp-2', number: 'BO-2026-950', date: '2026-03-25' });
    const firstB = importOf({ id: 'imp-1b', number: 'BO-2026-902', date: '2026-03-15' });
    const firstA = importOf({ id: 'imp-1a', number: 'BO-2026-901', date: '2026-03-15' });
    expect(numbers(selectMatches(exportOf(), [second, firstB, firstA], options).matches)).toEqual([
      'BO-2026-901',
      'BO-2026-902',
      'BO-2026-950',
    ]);
  });

  it('puts an import of the same document in a third country aside as diverted', () => {
    const peru = importOf({ id: 'imp-pe', country: 'PE', number: 'PE-2026-55' });
    expect(selectMatches(exportOf(), [peru], options)).toEqual({
      matches: [],
      diverted: [{ import: peru, basis: 'transport_document', score: 1 }],
    });
  });

  it('drops attribute-only matches once a document ties an import in the destination to the export', () => {
    const lookalike = undocumentedImportOf({ id: 'imp-other', number: 'BO-2026-700', date: '2026-03-10' });
    expect(numbers(selectMatches(exportOf(), [lookalike, importOf()], options).matches)).toEqual(['BO-2026-889']);
    expect(numbers(selectMatches(exportOf(), [lookalike], options).matches)).toEqual(['BO-2026-700']);
  });

  it('keeps attribute matches in the destination when the document only turns up in a third country', () => {
    const lookalike = undocumentedImportOf({ id: 'imp-other', number: 'BO-2026-700' });
    const peru = importOf({ id: 'imp-pe', country: 'PE', number: 'PE-2026-55' });
    const { matches, diverted } = selectMatches(exportOf(), [peru, lookalike], options);
    expect(numbers(matches)).toEqual(['BO-2026-700']);
    expect(numbers(diverted)).toEqual(['PE-2026-55']);
  });

  it('leaves out candidates that do not match and declarations that are not imports', () => {
    const otherShipment = importOf({ id: 'imp-x', number: 'BO-2026-999', transportDocumentKey: 'MAEU9999999' });
    const reExport = importOf({ id: 'exp-pe', flow: 'export', country: 'PE', number: 'PE-2026-E1' });
    expect(selectMatches(exportOf(), [otherShipment, reExport, exportOf()], options)).toEqual({ matches: [], diverted: [] });
  });
});

describe('assignAttributeMatches', () => {
  it('shares imports out one to one by fit, whatever the order they come in', async () => {
    const { exportOf, undocumentedImportOf } = await import('./matching.fixtures.js');
    const { assignAttributeMatches, DEFAULT_MATCHING_OPTIONS } = await import('./matcher.js');
    const e1 = { ...exportOf({ id: 'e1', number: 'MX-1', date: '2025-01-01', transportDocumentKey: null, containerKeys: [] }), items: [{ hsCode: '280540', netMassKg: 2380.5, valueUsd: 1, mercuryClass: 'mercury' as const }] };
    const e2 = { ...exportOf({ id: 'e2', number: 'MX-2', date: '2025-01-31', transportDocumentKey: null, containerKeys: [] }), items: [{ hsCode: '280540', netMassKg: 2415, valueUsd: 1, mercuryClass: 'mercury' as const }] };
    const i1 = { ...undocumentedImportOf({ id: 'i1', number: 'BO-1', date: '2025-01-26' }), items: [{ hsCode: '280540', netMassKg: 2348.987, valueUsd: 1, mercuryClass: 'mercury' as const }] };
    const i2 = { ...undocumentedImportOf({ id: 'i2', number: 'BO-2', date: '2025-02-25' }), items: [{ hsCode: '280540', netMassKg: 2411.832, valueUsd: 1, mercuryClass: 'mercury' as const }] };
    for (const [exports, imports] of [[[e1, e2], [i1, i2]], [[e2, e1], [i2, i1]]] as const) {
      const assigned = assignAttributeMatches(exports, imports, DEFAULT_MATCHING_OPTIONS);
      expect(assigned.get('e2')?.id).toBe('i2');
      expect(assigned.get('e1')?.id).toBe('i1');
    }
  });
});

describe('assignLazily', () => {

  it('takes the import assignAttributeMatches gives the export, however little of its rivals it is shown', async () => {
    const { exportOf, undocumentedImportOf } = await import('./matching.fixtures.js');
    const { assignAttributeMatches, assignLazily, attributePair, compareAttributePairs, DEFAULT_MATCHING_OPTIONS: options, matchBasis } = await import('./matcher.js');
    type Facts = ReturnType<typeof exportOf>;
    const item = (kg: number) => [{ hsCode: '280540', netMassKg: kg, valueUsd: 1, mercuryClass: 'mercury' as const }];
    // Masses from a short list so that fits tie, names alike or not, dates in and out of the window.
    const masses = [1000, 1000, 1001, 999.999, 1500, 2000, 34.5, 3450, 3449.5, 250.25];
    const names = ['Importadora Andina SRL', 'IMPORTADORA ANDINA S.R.L.', 'Comercial Pacifico Ltda'];
    let settledEarly = 0;
    let instances = 0;
    for (let seed = 1; seed <= 400; seed++) {
      const random = seededRandom(seed);
      const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)];
      const day = (n: number) => `2025-${String(1 + Math.floor(n / 28)).padStart(2, '0')}-${String(1 + (n % 28)).padStart(2, '0')}`;
      const exportAt = (n: number): Facts => ({
        ...exportOf({ id: `e${n}`, number: `MX-${pick(['1', '2', '3'])}-${n}`, date: day(Math.floor(random() * 120)), transportDocumentKey: null, containerKeys: [], counterpartyName: pick(names) }),
        items: item(pick(masses)),
      });
      const exp = exportAt(0);
      const rivals = Array.from({ length: Math.floor(random() * 40) }, (_, n) => exportAt(n + 1));
      const imports = Array.from({ length: 1 + Math.floor(random() * 8) }, (_, n) => ({
        ...undocumentedImportOf({ id: `i${n}`, number: `BO-${n}`, date: day(60 + Math.floor(random() * 100)) }),
        items: item(pick(masses)),
      })).filter((imp) => matchBasis(exp, imp, options) === 'attributes');
      if (imports.length === 0) continue;
      instances++;
      const expected = assignAttributeMatches([exp, ...rivals], imports, options).get(exp.id);
      // Each import's pairs shown in any order, a few more whenever the export cannot be settled yet;
      // what is not shown is bounded by the least misfit among it, as a walk outwards from the mass bounds it.
      const hidden = new Map(imports.map((imp) => [imp.id, rivals.filter((r) => matchBasis(r, imp, options) === 'attributes').map((r) => attributePair(r, imp)).sort(() => random() - 0.5)]));
      const shown = new Map(imports.map((imp) => [imp.id, [] as ReturnType<typeof attributePair>[]]));
      for (let step = 0; ; step++) {
        const outcome = assignLazily(exp, imports.map((imp) => ({
          imp,
          pairs: [...shown.get(imp.id)!].sort(compareAttributePairs),
          unseenMisfit: Math.min(...hidden.get(imp.id)!.map((p) => p.misfit)),
        })));
        if (outcome.settled) {
          expect(outcome.import?.id).toBe(expected?.id);
          if ([...hidden.values()].some((h) => h.length > 0)) settledEarly++;
          break;
        }
        expect(step).toBeLessThan(1000);
        for (const { imp } of outcome.blocked) shown.get(imp.id)!.push(...hidden.get(imp.id)!.splice(0, 1 + Math.floor(random() * 3)));
      }
    }
    expect(instances).toBeGreaterThan(300);
    // Most are settled before every rival is seen: that is what it is for.
    expect(settledEarly).toBeGreaterThan(instances / 2);
  });

  it('waits for a rival that may fit as closely, whatever the order it would be taken in', async () => {
    const { exportOf, undocumentedImportOf } = await import('./matching.fixtures.js');
    const { assignLazily, attributePair } = await import('./matcher.js');
    const item = (kg: number) => [{ hsCode: '280540', netMassKg: kg, valueUsd: 1, mercuryClass: 'mercury' as const }];
    const exp = { ...exportOf({ id: 'e', number: 'MX-2', transportDocumentKey: null, containerKeys: [] }), items: item(1000) };
    const rival = { ...exportOf({ id: 'r', number: 'MX-1', transportDocumentKey: null, containerKeys: [] }), items: item(1000) };
    const imp = { ...undocumentedImportOf({ id: 'i' }), items: item(1000) };
    // The rival's pair has the same misfit and gap and comes first by number: unseen, it may still, so nothing is settled.
    expect(assignLazily(exp, [{ imp, pairs: [], unseenMisfit: 0 }])).toEqual({ settled: false, blocked: [{ imp, misfit: 0 }] });
    expect(assignLazily(exp, [{ imp, pairs: [attributePair(rival, imp)], unseenMisfit: Infinity }])).toEqual({ settled: true, import: undefined });
    expect(assignLazily(exp, [{ imp, pairs: [], unseenMisfit: Number.MIN_VALUE }])).toEqual({ settled: true, import: imp });
  });
});
