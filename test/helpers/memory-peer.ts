import type { Gateway } from '../../lib/gateway.js';
import { connectMemory, type MemoryPairOptions } from '../../lib/memory-transport.js';
import { call, connectParams, handshake } from './connect.js';
import { RawPeer, type Frame } from './raw-peer.js';

/** A RawPeer over a new in-memory connection to the gateway, before its handshake. */
export function openMemoryPeer(gateway: Gateway, options?: MemoryPairOptions): RawPeer {
  const socket = connectMemory(gateway, options);
  const peer = new RawPeer((t) => socket.send(t), (c, r) => socket.close(c, r));
  socket.onmessage = (t) => peer.receive(t);
  socket.onclose = (c, r) => peer.markClosed(c, r);
  return peer;
}

/** A RawPeer over the in-memory transport, handshaken with the test token (and optional scopes). */
export async function memoryPeer(gateway: Gateway, scopes?: string[]): Promise<RawPeer> {
  const peer = openMemoryPeer(gateway);
  const res = await handshake(peer, () => connectParams(scopes ? { scopes } : {}));
  if (!res.ok) throw new Error(`handshake failed: ${JSON.stringify(res.error)}`);
  return peer;
}

/** `call` that returns the payload, or throws with the wire error attached. */
export async function callOk(peer: RawPeer, method: string, params?: unknown): Promise<any> {
  const res: Frame = await call(peer, method, params);
  if (!res.ok) throw Object.assign(new Error(`${method} failed: ${JSON.stringify(res.error)}`), { wire: res.error });
  return res.payload;
}
