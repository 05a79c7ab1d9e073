import { PassThrough } from 'node:stream';
import { StdioTransport } from '../../transports/stdio.js';
import { NdjsonDecoder } from '../../transports/ndjson.js';
import { RawPeer } from '../helpers/raw-peer.js';
import { runGatewayContract } from './contract.js';

runGatewayContract('stdio', async (gateway) => {
  const transports: StdioTransport[] = [];
  return {
    async open() {
      const toGateway = new PassThrough();
      const fromGateway = new PassThrough();
      const transport = new StdioTransport({ sink: gateway, input: toGateway, output: fromGateway });
      transports.push(transport);
      const peer = new RawPeer(
        (t) => toGateway.write(t + '\n'),
        () => toGateway.end(),
      );
      const decoder = new NdjsonDecoder({ onLine: (line) => peer.receive(line) });
      fromGateway.on('data', (chunk: Buffer) => decoder.push(chunk));
      transport.closed.then(
        ({ code, reason }) => peer.markClosed(code, reason),
        (err: unknown) => peer.markClosed(1011, `transport failed: ${String(err)}`),
      );
      transport.start();
      return peer;
    },
    async close() {
      await Promise.all(transports.map((t) => t.close()));
    },
  };
}, { supportsRemote: false });
