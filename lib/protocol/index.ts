export type * from './generated/types.js';
export { protocolSchema, methodSpecs, eventSpecs } from './generated/schema.js';
export * from './constants.js';
