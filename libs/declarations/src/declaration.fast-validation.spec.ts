import fc from 'fast-check';
import { validateInput } from '@hgtrace/common';
import { DeclarationDto } from './declaration.dto.js';
import { fastValidateDeclaration } from './declaration.fast-validation.js';

const valid = {
  country: 'MX', flow: 'export', number: 'MX-2026-000123', date: '2026-03-01',
  trader: { nationalId: 'MXA-0001', name: 'Minera del Norte SA de CV' },
  counterparty: { name: 'Importadora Andina SRL', country: 'BO', address: 'La Paz' },
  partnerCountry: 'BO', originCountry: 'MX', transportDocument: 'MSCU1234567', containers: ['MSCU1234565'],
  licenceNumber: 'MX-EXP-0042', consentReference: 'BO-PIC-2026-007', transportMode: 'sea',
  items: [{ hsCode: '2805.40', description: 'Mercury, 100 flasks', netMassKg: 3450, valueUsd: 186300 }],
};

/** What the DTO carries, as plain data (class instances and absent keys aside). */
const plain = (dto: DeclarationDto) => JSON.parse(JSON.stringify(dto));

async function slow(input: unknown): Promise<DeclarationDto | undefined> {
  try {
    return await validateInput(DeclarationDto, input);
  } catch {
    return undefined;
  }
}

// Values each field may take: good ones, and the near misses class-validator refuses.
const text = fc.oneof(fc.string({ maxLength: 70 }), fc.constantFrom('', '  ', ' MX-1 ', 'A\tB', 'x'.repeat(64), 'x'.repeat(65), 'é'));
const country = fc.oneof(fc.constantFrom('MX', 'bo', ' pe ', 'XX', 'M', 'MEX', '', 'm1'), fc.string({ maxLength: 3 }));
const date = fc.oneof(fc.constantFrom('2026-03-01', '2024-02-29', '2026-02-29', '2026-13-01', '2026-00-10', '26-03-01', '2026-3-1', '2026-03-01T00:00:00Z', '0999-01-01'), fc.string({ maxLength: 12 }));
const number = fc.oneof(fc.constantFrom(0.001, 1, 3450, 12.5, 0.1234, -1, 0, 1e12, 1e12 + 1, 1e-7, 1e21, Number.NaN, Infinity, 186300.25, 0.005), fc.double({ noNaN: false }), fc.integer());
const anything = fc.oneof(fc.constant(undefined), fc.constant(null), fc.integer(), fc.boolean(), fc.constant([]), fc.constant({}));
const maybe = <T>(arb: fc.Arbitrary<T>) => fc.oneof({ arbitrary: arb, weight: 4 }, { arbitrary: anything, weight: 1 });

const item = fc.record({
  hsCode: maybe(fc.constantFrom('280540', '2805.40', '2805 40 00', '2805', '28054000000', 'HG2805', '')),
  description: maybe(fc.oneof(fc.string({ maxLength: 20 }), fc.constant('x'.repeat(1001)))),
  netMassKg: maybe(number),
  valueUsd: maybe(number),
}, { requiredKeys: [] });

const declaration = fc.record({
  country: maybe(country), flow: maybe(fc.constantFrom('export', 'import', 'transit')), number: maybe(text), date: maybe(date),
  trader: maybe(fc.record({ nationalId: maybe(text), name: maybe(text) }, { requiredKeys: [] })),
  counterparty: maybe(fc.record({ name: maybe(text), country: maybe(country), address: maybe(text) }, { requiredKeys: [] })),
  partnerCountry: maybe(country), originCountry: maybe(country), transportDocument: maybe(text),
  containers: maybe(fc.array(fc.oneof(text, fc.integer()), { maxLength: 3 })), licenceNumber: maybe(text), consentReference: maybe(text),
  transportMode: maybe(fc.constantFrom('sea', 'air', 'pipeline')), items: maybe(fc.array(item, { maxLength: 3 })),
}, { requiredKeys: [] });

describe('fastValidateDeclaration', () => {
  it('accepts the example of API.md and builds the DTO class-validator builds', async () => {
    const fast = fastValidateDeclaration(valid);
    expect(fast).toBeInstanceOf(DeclarationDto);
    expect(plain(fast!)).toEqual(plain((await slow(valid))!));
    expect(fast!.items[0].hsCode).toBe('280540');
  });

  it('leaves to class-validator what it is not sure of', () => {
    expect(fastValidateDeclaration({ ...valid, priority: 'high' })).toBeUndefined();
    expect(fastValidateDeclaration({ ...valid, items: [] })).toBeUndefined();
    expect(fastValidateDeclaration({ ...valid, date: '2026-02-29' })).toBeUndefined();
    expect(fastValidateDeclaration({ ...valid, counterparty: { ...valid.counterparty, address: null } })).toBeUndefined();
    expect(fastValidateDeclaration('not an object')).toBeUndefined();
  });

  it('accepts only what class-validator accepts, and then builds the same DTO', async () => {
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(declaration, fc.nat(), fc.boolean(), async (generated, pick, overValid) => {
        // Half of the cases start from the valid example, so that all fields but one are right.
        const entries = Object.entries(generated);
        const input = overValid && entries.length ? { ...valid, ...Object.fromEntries([entries[pick % entries.length]]) } : generated;
        const fast = fastValidateDeclaration(input);
        if (fast === undefined) return;
        accepted += 1;
        const reference = await slow(input);
        expect(reference).toBeDefined();
        expect(plain(fast)).toEqual(plain(reference!));
      }),
      { numRuns: 3000 },
    );
    // The property means something only if the fast path was taken often enough.
    expect(accepted).toBeGreaterThan(300);
  });

  it('takes the fast path for the bodies customs systems send', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('MX', 'bo'), fc.constantFrom('2026-03-01', '2024-02-29'), fc.double({ min: 0.001, max: 1e6, noNaN: true }), async (c, d, kg) => {
        const input = { ...valid, country: c, date: d, items: [{ hsCode: '280540', netMassKg: Math.round(kg * 1000) / 1000, valueUsd: Math.round(kg * 5400) / 100 }] };
        const fast = fastValidateDeclaration(input);
        expect(fast).toBeDefined();
        expect(plain(fast!)).toEqual(plain((await slow(input))!));
      }),
      { numRuns: 300 },
    );
  });
});
