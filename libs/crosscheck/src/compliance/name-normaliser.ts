/**
 * Company names as customs and focal points write them differ in accents, case, punctuation and
 * legal-form suffixes ("Comercializadora Andina S.R.L." on the consent, "COMERCIALIZADORA ANDINA SRL"
 * on the declaration). Two names are the same when their normal forms are equal.
 */

/** Legal forms dropped wherever they appear, after runs of single letters are joined ("s r l" is "srl"). */
const LEGAL_FORM_WORDS = new Set([
  'sa', 'srl', 'sac', 'saa', 'ltda', 'ltd', 'llc', 'inc', 'corp', 'co', 'gmbh', 'ag', 'bv', 'nv', 'plc', 'spa',
  'sas', 'eirl',
]);

/** "de cv" only counts as a legal form after another one ("SA de CV", "SAPI de CV"), so drop it as a pair. */
const LEGAL_FORM_PAIRS: readonly (readonly [string, string])[] = [['de', 'cv']];

export function normaliseName(name: string): string {
  const tokens = name
    .normalize('NFD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim()
    .split(' ')
    .filter((t) => t.length > 0);
  const joined = joinSingleLetters(tokens);
  const kept: string[] = [];
  for (let i = 0; i < joined.length; i++) {
    const pair = LEGAL_FORM_PAIRS.find(([a, b]) => joined[i] === a && joined[i + 1] === b);
    if (pair) {
      i++;
      continue;
    }
    if (!LEGAL_FORM_WORDS.has(joined[i])) kept.push(joined[i]);
  }
  // A name that is nothing but a legal form keeps it, so "S.A." does not equal "Ltd".
  return (kept.length > 0 ? kept : joined).join(' ');
}

export function sameName(a: string, b: string): boolean {
  return normaliseName(a) === normaliseName(b);
}

/** "s a de c v" becomes "sa de cv": abbreviations written with dots become one word. */
function joinSingleLetters(tokens: string[]): string[] {
  const out: string[] = [];
  let run = '';
  for (const token of tokens) {
    if (token.length === 1 && /\p{L}/u.test(token)) {
      run += token;
      continue;
    }
    if (run) out.push(run);
    run = '';
    out.push(token);
  }
  if (run) out.push(run);
  return out;
}
