/**
 * The wire types alone, safe for browsers and bundlers (no runtime code): frames, handshake,
 * every method's params and result ({@link GatewayMethodMap}) and every event's payload
 * ({@link GatewayEventMap}). They are generated from the protocol schema, which ships as one JSON
 * Schema: `clawgate/protocol.schema.json`.
 *
 * @module clawgate/protocol
 */
export type * from './generated/types.js';
