import { normaliseName } from '../compliance/name-normaliser.js';

/**
 * The trigram similarity of PostgreSQL's pg_trgm `similarity()`, so that a name the matcher calls
 * similar here is one a `%` query finds in the database: words are the runs of letters and digits,
 * lower-cased, each padded with two spaces in front and one behind; the score is the number of
 * trigrams the two names share over the number of distinct trigrams of both.
 */
export function trigramSimilarity(a: string, b: string): number {
  const left = trigrams(a);
  const right = trigrams(b);
  if (left.size === 0 && right.size === 0) return 0;
  let shared = 0;
  for (const trigram of left) if (right.has(trigram)) shared++;
  return shared / (left.size + right.size - shared);
}

/** Similarity of two trader names once accents, case, punctuation and legal forms are set aside. */
export function nameSimilarity(a: string, b: string): number {
  return trigramSimilarity(normaliseName(a), normaliseName(b));
}

function trigrams(text: string): Set<string> {
  const set = new Set<string>();
  for (const word of text.toLowerCase().split(/[^\p{L}\p{N}]+/u)) {
    if (word.length === 0) continue;
    // Spread by code point, so a letter outside the BMP counts as one character, as in Postgres.
    const padded = [' ', ' ', ...word, ' '];
    for (let i = 0; i + 3 <= padded.length; i++) set.add(padded.slice(i, i + 3).join(''));
  }
  return set;
}
