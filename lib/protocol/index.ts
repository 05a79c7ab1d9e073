export type * from './generated/types.js';
// The tables alone: the schema itself (generated/schema.ts) loads with the first validator.
export { methodSpecs, eventSpecs } from './generated/specs.js';
export * from './constants.js';
