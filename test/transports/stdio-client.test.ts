import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { GatewayClient } from '../../lib/client/index.js';
import { GatewayError } from '../../lib/errors.js';
import { Gateway } from '../../lib/gateway.js';
import { createStdioSocket } from '../../transports/stdio-client.js';
import { StdioTransport } from '../../transports/stdio.js';
import { TOKEN } from '../helpers/connect.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

/** A gateway served over one pair of pipes, and the client end of those pipes. */
async function servedOverPipes() {
  const gateway = new Gateway({ auth: { mode: 'token', token: TOKEN }, policy: { tickIntervalMs: 60_000 } });
  gateway.registerCustomMethod('demo.echo', { params: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] }, scope: 'read' }, (params) => params);
  await gateway.start();
  cleanups.push(() => gateway.close());
  const toGateway = new PassThrough();
  const fromGateway = new PassThrough();
  const transport = new StdioTransport({ sink: gateway, input: toGateway, output: fromGateway });
  transport.start();
  cleanups.push(() => transport.close());
  return { gateway, transport, toGateway, fromGateway };
}

describe('createStdioSocket', () => {
  it('carries a whole GatewayClient session over a readable/writable pair, and hangs up by ending the output', async () => {
    const { transport, toGateway, fromGateway } = await servedOverPipes();
    const client = new GatewayClient({
      url: 'stdio:',
      token: TOKEN,
      client: { version: '1.0.0', platform: process.platform },
      createSocket: () => createStdioSocket({ input: fromGateway, output: toGateway }),
      reconnect: false,
    });
    const hello = await client.connect();
    expect(hello.features.methods).toContain('demo.echo');
    expect((await client.call('health')).ok).toBe(true);
    await expect(client.call<{ text: string }>('demo.echo', { text: 'over pipes' })).resolves.toEqual({ text: 'over pipes' });
    await expect(client.call('demo.echo', {})).rejects.toMatchObject({ code: 'INVALID_REQUEST', message: expect.stringContaining("must have required property 'text'") });

    client.close();
    expect(toGateway.writableEnded).toBe(true);
    await expect(transport.closed).resolves.toMatchObject({ code: expect.any(Number) });
  });

  it('reports the end of the input as a close, and a too-long line as 1009', async () => {
    const input = new PassThrough();
    const output = new PassThrough();
    const socket = createStdioSocket({ input, output, maxLineBytes: 16 });
    const closes: Array<{ code: number; reason: string }> = [];
    const messages: unknown[] = [];
    socket.onclose = (event) => closes.push(event);
    socket.onmessage = (event) => messages.push(event.data);
    input.write('{"type":"event"}\n');
    input.write('x'.repeat(40));
    await new Promise((resolve) => setImmediate(resolve));
    expect(messages).toEqual(['{"type":"event"}']);
    expect(closes).toEqual([{ code: 1009, reason: 'message too big' }]);
    expect(socket.readyState).toBe(3);
    expect(output.writableEnded).toBe(true);
    expect(() => socket.send('{}')).toThrow(/not open/);
  });

  it('closes with 1000 when the gateway ends its output, failing calls in flight', async () => {
    const input = new PassThrough();
    const output = new PassThrough();
    const client = new GatewayClient({
      url: 'stdio:',
      token: TOKEN,
      client: { version: '1.0.0', platform: process.platform },
      createSocket: () => createStdioSocket({ input, output }),
      reconnect: false,
    });
    cleanups.push(() => client.close());
    const connecting = client.connect();
    input.end();
    await expect(connecting).rejects.toBeInstanceOf(GatewayError);
  });

  it('a failed write to a peer that is gone is an error event, not a crash', async () => {
    const input = new PassThrough();
    const output = new PassThrough();
    const socket = createStdioSocket({ input, output });
    const errors: unknown[] = [];
    socket.onerror = (event) => errors.push(event);
    output.destroy(new Error('EPIPE'));
    await new Promise((resolve) => setImmediate(resolve));
    expect(errors).toHaveLength(1);
    input.end();
    await new Promise((resolve) => setImmediate(resolve));
    expect(socket.readyState).toBe(3);
  });
});
