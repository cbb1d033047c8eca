import { normaliseName } from '../compliance/name-normaliser.js';

/**
 * The trigram similarity of PostgreSQL's pg_trgm `similarity()`, so that a name the matcher calls
 * similar here is one a `%` query finds in the database: words are the runs of letters and digits,
 * lower-cased, each padded with two spaces in front and one behind; the score is the number of
 * trigrams the two names share over the number of distinct trigrams of both.
 */
export function trigramSimilarity(a: string, b: string): number {
  const left = trigramsOf(a);
  const right = trigramsOf(b);
  if (left.size === 0 && right.size === 0) return 0;
  let shared = 0;
  for (const trigram of left) if (right.has(trigram)) shared++;
  return shared / (left.size + right.size - shared);
}

/** Similarity of two trader names once accents, case, punctuation and legal forms are set aside. */
export function nameSimilarity(a: string, b: string): number {
  const left = normalised(a);
  const right = normalised(b);
  let scores = similarities.get(left);
  if (scores === undefined) {
    if (similarities.size >= CACHE_LIMIT) clearSimilarities();
    similarities.set(left, (scores = new Map()));
  }
  let score = scores.get(right);
  if (score === undefined) {
    if (++scored > SIMILARITY_LIMIT) clearSimilarities();
    score = trigramSimilarity(left, right);
    scores.set(right, score);
  }
  return score;
}

/*
 * Matching compares the same few thousand trader names again and again (every export of a route with
 * every import of its window): their normal forms, trigram sets and pairwise scores are kept, in maps
 * emptied when they grow past a bound so that memory stays flat over a run of millions. Scores are
 * kept per pair of normal forms, which spelling variants share (case, accents, legal forms), in a map
 * per name, so that a lookup builds no key.
 */
const CACHE_LIMIT = 50_000;
const SIMILARITY_LIMIT = 500_000;
const normalForms = new Map<string, string>();
const trigramSets = new Map<string, Set<string>>();
const similarities = new Map<string, Map<string, number>>();
let scored = 0;

function clearSimilarities(): void {
  similarities.clear();
  scored = 0;
}

function remember<V>(cache: Map<string, V>, key: string, value: V): void {
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(key, value);
}

function normalised(name: string): string {
  let form = normalForms.get(name);
  if (form === undefined) {
    form = normaliseName(name);
    remember(normalForms, name, form);
  }
  return form;
}

function trigramsOf(text: string): Set<string> {
  let set = trigramSets.get(text);
  if (set === undefined) {
    set = trigrams(text);
    remember(trigramSets, text, set);
  }
  return set;
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
