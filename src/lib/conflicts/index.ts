/** Conflicts (DESIGN.md section 6): pure rules per type, deterministic resolve, audit inbox. */
export * from './rules';
export * from './resolve';
export * from './inbox';
export * from './revs';
export { md5Hex } from './hash';
export { explainMerge, listWords, timeOfHlc } from './explain';
export * from './device';
