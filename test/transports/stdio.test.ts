import { PassThrough, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { StdioTransport } from '../../transports/stdio.js';
import { echoSink } from '../helpers/echo-sink.js';

function setup(maxLineBytes?: number) {
  const input = new PassThrough();
  const output = new PassThrough();
  const { sink, connections, closes } = echoSink();
  const transport = new StdioTransport({ sink, input, output, maxLineBytes });
  let written = '';
  output.setEncoding('utf8');
  output.on('data', (chunk: string) => (written += chunk));
  return { input, output, transport, connections, closes, written: () => written };
}

const until = async (check: () => boolean) => {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
  expect(check()).toBe(true);
};

describe('StdioTransport', () => {
  it('hands exactly one local stdio connection to the sink', () => {
    const { transport, connections } = setup();
    transport.start();
    expect(connections).toHaveLength(1);
    expect(connections[0]!.peer).toEqual({ transport: 'stdio', local: true });
    expect(() => transport.start()).toThrow(/once/);
  });

  it('echoes lines, including ones split across chunks and multibyte characters', async () => {
    const { input, transport, written } = setup();
    transport.start();
    const line = Buffer.from('{"msg":"grüße 👋"}\n', 'utf8');
    input.write(line.subarray(0, 11));
    input.write(line.subarray(11, 16));
    input.write(Buffer.concat([line.subarray(16), Buffer.from('\r\n{"n":2}\n')]));
    await until(() => written() === '{"msg":"grüße 👋"}\n{"n":2}\n');
  });

  it('reports the output backlog as bufferedAmount', () => {
    const { output, transport, connections } = setup();
    output.removeAllListeners('data');
    output.pause();
    transport.start();
    const connection = connections[0]!;
    expect(connection.bufferedAmount).toBe(0);
    connection.send('x'.repeat(100_000));
    expect(connection.bufferedAmount).toBe(output.writableLength);
    expect(connection.bufferedAmount).toBeGreaterThan(0);
  });

  it('closes with 1009 on an oversize line and stops reading', async () => {
    const { input, output, transport, closes, written } = setup(16);
    transport.start();
    input.write('{"ok":1}\n');
    input.write(`${'x'.repeat(10)}`);
    input.write(`${'x'.repeat(10)}\n{"after":1}\n`);
    await expect(transport.closed).resolves.toEqual({ code: 1009, reason: 'message too big' });
    expect(closes).toEqual([[1009, 'message too big']]);
    expect(written()).toBe('{"ok":1}\n');
    expect(input.listenerCount('data')).toBe(0);
    await until(() => output.writableEnded);
  });

  it('fires onclose once with 1000 when the input ends, flushing a last unterminated line', async () => {
    const { input, transport, closes, connections, written } = setup();
    transport.start();
    input.end('{"last":true}');
    await expect(transport.closed).resolves.toEqual({ code: 1000, reason: '' });
    await until(() => written() === '{"last":true}\n');
    expect(closes).toEqual([[1000, '']]);
    connections[0]!.close(1000);
    connections[0]!.send('dropped');
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(closes).toHaveLength(1);
  });

  it('fires 1006 when the input is destroyed', async () => {
    const { input, transport } = setup();
    transport.start();
    input.destroy();
    await expect(transport.closed).resolves.toEqual({ code: 1006, reason: '' });
  });

  it('close() stops reading, detaches only its own listeners and ends an injected output', async () => {
    const { input, output, transport, closes } = setup();
    const foreign = () => {};
    input.on('end', foreign);
    output.on('error', foreign);
    transport.start();
    await expect(transport.close(1012, 'service restart')).resolves.toEqual({ code: 1012, reason: 'service restart' });
    expect(closes).toEqual([[1012, 'service restart']]);
    expect(input.listeners('end')).toEqual([foreign]);
    // Ours left is only the guard that swallows late write errors (next test).
    expect(output.listeners('error')).toEqual([foreign, expect.any(Function)]);
    expect(input.listenerCount('data')).toBe(0);
    expect(input.isPaused()).toBe(true);
    expect(output.writableEnded).toBe(true);
    expect(input.destroyed).toBe(false);
  });

  it('survives a write that fails after the peer went away (EPIPE at shutdown)', async () => {
    const input = new PassThrough();
    const output = new Writable({
      write(_chunk, _encoding, callback) {
        setTimeout(() => callback(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' })), 20);
      },
    });
    const { sink, connections } = echoSink();
    const transport = new StdioTransport({ sink, input, output });
    transport.start();
    connections[0]!.send('{"type":"event","event":"tick"}');
    input.end();
    await transport.closed;
    // Without a listener the late 'error' would be thrown as an uncaught exception, failing the run.
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(output.destroyed).toBe(true);
  });

  it('never ends process.stdout', async () => {
    const { sink } = echoSink();
    const input = new PassThrough();
    const transport = new StdioTransport({ sink, input, output: process.stdout });
    transport.start();
    await transport.close();
    expect(process.stdout.writableEnded).toBe(false);
  });

  it('close() before start() resolves and prevents starting', async () => {
    const { transport, connections } = setup();
    await expect(transport.close()).resolves.toEqual({ code: 1000, reason: '' });
    expect(() => transport.start()).toThrow();
    expect(connections).toHaveLength(0);
  });
});
