export * from './matching.types.js';
export { assignAttributeMatches, attributeScore, DEFAULT_MATCHING_OPTIONS, hsDigits, matchBasis, assignLazily, attributePair, type AttributePair, compareAttributePairs, type ImportContest, selectMatches, totalNetMassKg } from './matcher.js';
export { pairFindings } from './pair-rules.js';
export { nameSimilarity, trigramSimilarity } from './trigram.js';
