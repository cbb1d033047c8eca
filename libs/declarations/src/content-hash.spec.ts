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
