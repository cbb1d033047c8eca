import { nameSimilarity, trigramSimilarity } from './trigram.js';

describe('trigramSimilarity', () => {
  it('gives the values of PostgreSQL pg_trgm similarity()', () => {
    expect(trigramSimilarity('word', 'word')).toBe(1);
    expect(trigramSimilarity('word', 'two words')).toBeCloseTo(4 / 11, 6);
    expect(trigramSimilarity('word', 'two words')).toBeCloseTo(0.363636, 6);
    expect(trigramSimilarity('abc', 'xyz')).toBe(0);
  });

  it('ignores case, punctuation and word order, and counts each trigram once', () => {
    expect(trigramSimilarity('Two, Words!', 'words two')).toBe(1);
    expect(trigramSimilarity('word word', 'word')).toBe(1);
  });

  it('is 0 for two names without letters or digits', () => {
    expect(trigramSimilarity('', '')).toBe(0);
    expect(trigramSimilarity('--', '')).toBe(0);
  });
});

describe('nameSimilarity', () => {
  it('sets aside case, accents and legal forms', () => {
    expect(nameSimilarity('Importadora Andina S.R.L.', 'IMPORTADORA ANDINA SRL')).toBe(1);
    expect(nameSimilarity('Minera Andina SA', 'Minéra Andína')).toBe(1);
    expect(nameSimilarity('Minera del Norte SA de CV', 'MINERA DEL NORTE, S.A. DE C.V.')).toBe(1);
  });

  it('tells different companies apart', () => {
    expect(nameSimilarity('Importadora Andina SRL', 'Comercial Pacifico Ltda')).toBeLessThan(0.45);
  });

  it('scores names on either side of the 0.45 threshold as pg_trgm would', () => {
    // importadora (12 trigrams) andina (7) against importaciones (14) andinas (8): 13 shared of 28.
    expect(nameSimilarity('Importadora Andina S.R.L.', 'Importaciones Andinas SRL')).toBeCloseTo(13 / 28, 10);
    // against importadora (12) del (4) sur (4): 12 shared of 27.
    expect(nameSimilarity('Importadora Andina S.R.L.', 'Importadora del Sur SRL')).toBeCloseTo(12 / 27, 10);
  });
});
