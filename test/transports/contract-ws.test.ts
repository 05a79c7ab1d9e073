import type { WebSocket } from 'ws';
import type { Gateway } from '../../lib/gateway.js';
import { WebSocketTransport } from '../../transports/ws.js';
import { openWsRawPeer } from '../helpers/ws-raw-peer.js';
import { runGatewayContract, type TransportHarness } from './contract.js';

async function wsHarness(gateway: Gateway): Promise<TransportHarness> {
  const transport = new WebSocketTransport({ sink: gateway, port: 0, host: '127.0.0.1', maxPayload: gateway.policy.maxPayload });
  const { port } = await transport.listen();
  const sockets: WebSocket[] = [];
  return {
    async open(options) {
      // A non-loopback Host header is what makes a loopback peer "remote" (protocol §3.3).
      const headers = options?.local === false ? { host: 'gateway.example.com' } : undefined;
      const { peer, ws } = await openWsRawPeer(`ws://127.0.0.1:${port}`, headers);
      sockets.push(ws);
      return peer;
    },
    async close() {
      for (const ws of sockets) ws.terminate();
      await transport.close();
    },
  };
}

runGatewayContract('WebSocket', wsHarness, { supportsRemote: true });
runGatewayContract('WebSocket', wsHarness, { supportsRemote: true, protocol: 4 });
