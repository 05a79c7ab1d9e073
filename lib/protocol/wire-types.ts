// `clawgate/protocol`: the wire types alone, safe for browsers and bundlers (no runtime code).
export type * from './generated/types.js';
