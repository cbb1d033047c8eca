import { canonicalJson, contentHash } from './content-hash.js';

describe('contentHash', () => {
  it('ignores key order and absent fields', () => {
    expect(contentHash({ a: 1, b: { c: 2, d: 'x' }, e: undefined })).toBe(contentHash({ b: { d: 'x', c: 2 }, a: 1, f: null }));
  });

  it('sees a changed mass, a reordered item list, and a changed string', () => {
    const base = { items: [{ hsCode: '280540', netMassKg: 3450 }, { hsCode: '251710', netMassKg: 10 }] };
    expect(contentHash(base)).not.toBe(contentHash({ items: [{ hsCode: '280540', netMassKg: 3450.5 }, { hsCode: '251710', netMassKg: 10 }] }));
    expect(contentHash(base)).not.toBe(contentHash({ items: [...base.items].reverse() }));
    expect(canonicalJson({ n: 'MX-1' })).not.toBe(canonicalJson({ n: 'MX-2' }));
  });
});

/** The definition canonicalJson had when content hashes were first stored; the fast one must match it. */
function canonicalJsonReference(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJsonReference).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined && v !== null)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJsonReference(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

describe('canonicalJson', () => {
  let seed = 12345;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const pick = <T>(values: T[]): T => values[Math.floor(random() * values.length)];
  const text = () => pick(['', 'a', 'Zé', 'x"y', 'back\\slash', 'line\nbreak', '\u00e9\u4e2d', 'ß', 'Ab', 'aB', '10', '2', '__proto__x', 'é'.normalize('NFD'), 'a\u0000b', 'a', '\u0000']);
  const generate = (depth: number): unknown => {
    const kind = Math.floor(random() * (depth > 3 ? 5 : 8));
    if (kind === 0) return undefined;
    if (kind === 1) return null;
    if (kind === 2) return pick([0, -1, 3450.5, 1e21, 0.1 + 0.2, Number.NaN, true, false]);
    if (kind <= 4) return text();
    if (kind === 5) return Array.from({ length: Math.floor(random() * 4) }, () => generate(depth + 1));
    const object: Record<string, unknown> = {};
    for (let i = Math.floor(random() * 6); i > 0; i -= 1) object[text() + pick(['', 'k', 'Key', '1'])] = generate(depth + 1);
    return object;
  };

  it('gives the text of the reference definition on generated values', () => {
    for (let i = 0; i < 3000; i += 1) {
      const value = generate(0);
      expect(canonicalJson(value)).toBe(canonicalJsonReference(value));
    }
  });

  it('gives the text of the reference definition on a declaration body', () => {
    const body = {
      country: 'MX', flow: 'export', number: 'MX-1', date: '2026-01-02', trader: { nationalId: 'N1', name: 'Minera, S.A.' },
      counterparty: { name: 'Importadora "Andina"', country: 'BO', address: undefined }, partnerCountry: 'BO', originCountry: 'MX',
      transportDocument: undefined, containers: ['MSKU1234567'], licenceNumber: 'L-1', consentReference: undefined, transportMode: 'sea',
      items: [{ hsCode: '280540', description: undefined, netMassKg: 3450.125, valueUsd: 120000 }, { hsCode: '251710', netMassKg: 10, valueUsd: 0 }],
    };
    expect(canonicalJson(body)).toBe(canonicalJsonReference(body));
  });
});
