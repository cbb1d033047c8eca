export * from './matching.types.js';
export { assignAttributeMatches, attributeScore, DEFAULT_MATCHING_OPTIONS, hsDigits, matchBasis, selectMatches } from './matcher.js';
export { pairFindings } from './pair-rules.js';
export { nameSimilarity, trigramSimilarity } from './trigram.js';
