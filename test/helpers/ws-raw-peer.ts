import { WebSocket } from 'ws';
import { RawPeer } from './raw-peer.js';

/** A RawPeer over a real WebSocket to `url`, open; the socket is returned too, to terminate it. */
export async function openWsRawPeer(url: string, headers?: Record<string, string>): Promise<{ peer: RawPeer; ws: WebSocket }> {
  const ws = new WebSocket(url, { headers });
  const peer = new RawPeer((t) => ws.send(t), (c, r) => ws.close(c, r));
  ws.on('message', (data) => peer.receive(data.toString()));
  ws.on('close', (code, reason) => peer.markClosed(code, reason.toString()));
  ws.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return { peer, ws };
}
