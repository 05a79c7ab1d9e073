import { WebSocket } from 'ws';
import { WebSocketTransport } from '../../transports/ws.js';
import { RawPeer } from '../helpers/raw-peer.js';
import { runGatewayContract } from './contract.js';

runGatewayContract('WebSocket', async (gateway) => {
  const transport = new WebSocketTransport({ sink: gateway, port: 0, host: '127.0.0.1', maxPayload: gateway.policy.maxPayload });
  const { port } = await transport.listen();
  const sockets: WebSocket[] = [];
  return {
    async open(options) {
      // A non-loopback Host header is what makes a loopback peer "remote" (protocol §3.3).
      const headers = options?.local === false ? { host: 'gateway.example.com' } : undefined;
      const ws = new WebSocket(`ws://127.0.0.1:${port}`, { headers });
      sockets.push(ws);
      const peer = new RawPeer((t) => ws.send(t), (c, r) => ws.close(c, r));
      ws.on('message', (data) => peer.receive(data.toString()));
      ws.on('close', (code, reason) => peer.markClosed(code, reason.toString()));
      ws.on('error', () => undefined);
      await new Promise<void>((resolve, reject) => {
        ws.once('open', () => resolve());
        ws.once('error', reject);
      });
      return peer;
    },
    async close() {
      for (const ws of sockets) ws.terminate();
      await transport.close();
    },
  };
}, { supportsRemote: true });
