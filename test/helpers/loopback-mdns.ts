import { createSocket, type Socket } from 'node:dgram';
import { Bonjour } from 'bonjour-service';
import type { BonjourFactory } from '../../runtime/bonjour-advertiser.js';

export interface LoopbackMdns {
  /** The responder side: what the gateway advertises through. */
  advertiser: BonjourFactory;
  /** The querying side: what `openclaw gateway discover` browses through. */
  browser: BonjourFactory;
}

/**
 * Two mDNS endpoints that hear each other over 127.0.0.1. Containers rarely give `lo` the MULTICAST
 * flag, so instead of the 224.0.0.251 group each side sends its packets, unchanged, to the other's
 * UDP port. The library's own code builds, sends, parses and answers every record.
 */
export async function loopbackMdns(): Promise<LoopbackMdns> {
  const [a, b] = await Promise.all([boundSocket(), boundSocket()]);
  const side = (own: Socket, peer: Socket): BonjourFactory => (onError) => {
    const options = { socket: own, port: peer.address().port, ip: '127.0.0.1', multicast: false, bind: false };
    // bonjour-service passes these through to multicast-dns; its typing names only service fields.
    return new Bonjour(options as unknown as ConstructorParameters<typeof Bonjour>[0], onError);
  };
  return { advertiser: side(a, b), browser: side(b, a) };
}

function boundSocket(): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', () => resolve(socket));
  });
}
