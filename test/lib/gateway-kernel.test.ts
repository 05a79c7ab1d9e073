import { afterEach, describe, expect, it, vi } from 'vitest';
import { GatewayError } from '../../lib/errors.js';
import type { Gateway, GatewayOptions } from '../../lib/gateway.js';
import { connectMemory } from '../../lib/memory-transport.js';
import { ServiceKey, type GatewayHost, type GatewayPlugin } from '../../lib/plugin.js';
import { devicesService, presenceService } from '../../lib/services.js';
import { call, connectParams, handshake } from '../helpers/connect.js';
import { RawPeer, type Frame } from '../helpers/raw-peer.js';
import { createTestGateway } from '../transports/contract.js';

/** The kernel alone: method table, custom methods, plugin lifecycle and services. */
const gateways: Gateway[] = [];
const peers: RawPeer[] = [];
afterEach(async () => {
  for (const peer of peers.splice(0)) peer.close();
  for (const gateway of gateways.splice(0)) await gateway.close();
});

function kernel(overrides: Partial<GatewayOptions> = {}): Gateway {
  const gateway = createTestGateway(overrides);
  gateways.push(gateway);
  return gateway;
}

/** A handshaken peer over the memory transport, with its hello-ok. */
async function connect(gateway: Gateway, scopes?: string[]): Promise<{ peer: RawPeer; hello: Frame }> {
  const socket = connectMemory(gateway);
  const peer = new RawPeer((t) => socket.send(t), (c, r) => socket.close(c, r));
  socket.onmessage = (t) => peer.receive(t);
  socket.onclose = (c, r) => peer.markClosed(c, r);
  peers.push(peer);
  const hello = await handshake(peer, () => connectParams(scopes ? { scopes } : {}));
  expect(hello.ok, JSON.stringify(hello.error)).toBe(true);
  return { peer, hello };
}

/** A plugin that records its lifecycle into `log` as `<name>:<phase>`. */
function recorder(name: string, log: string[], fail?: 'setup' | 'start' | 'stop'): GatewayPlugin {
  const step = (phase: 'setup' | 'start' | 'stop') => {
    log.push(`${name}:${phase}`);
    if (fail === phase) throw new Error(`${name} ${phase} failed`);
  };
  return { name, setup: () => step('setup'), start: () => step('start'), stop: () => step('stop') };
}

const ECHO_PARAMS = {
  type: 'object',
  properties: { text: { type: 'string' }, count: { type: 'integer', minimum: 1 } },
  required: ['text'],
  additionalProperties: false,
};

describe('registerMethod', () => {
  it('throws on a duplicate, and its unregister function removes the method from methods()', () => {
    const gateway = kernel({ plugins: [] });
    expect(gateway.methods()).toEqual([]);
    const unregister = gateway.registerMethod('health', () => {
      throw new Error('not called');
    });
    expect(gateway.methods()).toEqual(['health']);
    expect(() => gateway.registerMethod('health', () => gateway.methods() as never)).toThrow('method health already has a handler');

    unregister();
    expect(gateway.methods()).not.toContain('health');
    // Undoing twice is harmless, and the name is free again.
    unregister();
    const again = gateway.registerMethod('health', () => {
      throw new Error('not called');
    });
    expect(gateway.methods()).toEqual(['health']);
    // A stale unregister function does not remove the newer handler.
    unregister();
    expect(gateway.methods()).toEqual(['health']);
    again();
    expect(gateway.methods()).toEqual([]);
  });

  it('refuses a name the protocol schema does not declare', () => {
    const gateway = kernel({ plugins: [] });
    expect(() => gateway.registerMethod('no.such.method' as never, () => undefined as never)).toThrow(
      'method no.such.method is not declared in the protocol schema',
    );
    expect(gateway.methods()).toEqual([]);
  });

  it('refuses a duplicate coming from a plugin, failing start', async () => {
    const twice: GatewayPlugin = { name: 'twice', setup: (host) => void host.registerMethod('health', () => host.currentHealth()) };
    const gateway = kernel({ plugins: [twice, { ...twice, name: 'twice-again' }] });
    await expect(gateway.start()).rejects.toThrow('method health already has a handler');
  });
});

describe('registerCustomMethod', () => {
  async function withEcho(scope?: 'read' | 'write' | 'admin') {
    const gateway = kernel();
    const seen: unknown[] = [];
    gateway.registerCustomMethod<{ text: string; count?: number }>('demo.echo', { params: ECHO_PARAMS, ...(scope ? { scope } : {}) }, (params) => {
      seen.push(params);
      return { echoed: params.text.repeat(params.count ?? 1) };
    });
    await gateway.start();
    return { gateway, seen };
  }

  it('validates params against its schema over a real connection: INVALID_REQUEST naming the path', async () => {
    const { gateway, seen } = await withEcho();
    const { peer } = await connect(gateway);

    const ok = await call(peer, 'demo.echo', { text: 'ab', count: 2 });
    expect(ok).toMatchObject({ ok: true, payload: { echoed: 'abab' } });

    const wrongType = await call(peer, 'demo.echo', { text: 'ab', count: 'two' });
    expect(wrongType.ok).toBe(false);
    expect(wrongType.error.code).toBe('INVALID_REQUEST');
    expect(wrongType.error.message).toMatch(/^invalid demo\.echo params: /);
    expect(wrongType.error.message).toContain('/count');

    const missing = await call(peer, 'demo.echo', {});
    expect(missing.error).toMatchObject({ code: 'INVALID_REQUEST', message: expect.stringContaining('text') });
    const extra = await call(peer, 'demo.echo', { text: 'x', nope: 1 });
    expect(extra.error).toMatchObject({ code: 'INVALID_REQUEST', message: expect.stringContaining('nope') });

    // Refused before the handler ran.
    expect(seen).toEqual([{ text: 'ab', count: 2 }]);
  });

  it('is advertised in hello-ok features.methods', async () => {
    const { gateway } = await withEcho();
    const { hello } = await connect(gateway);
    expect(hello.payload.features.methods).toContain('demo.echo');
    expect(hello.payload.features.methods).toEqual(gateway.methods());
  });

  it('needs operator.admin unless it declares a scope', async () => {
    const admin = await withEcho();
    const { peer: reader } = await connect(admin.gateway, ['operator.read']);
    const denied = await call(reader, 'demo.echo', { text: 'x' });
    expect(denied.error).toMatchObject({ code: 'INVALID_REQUEST', message: 'missing scope: operator.admin' });
    expect(admin.seen).toEqual([]);
    const { peer: adminPeer } = await connect(admin.gateway, ['operator.admin']);
    expect(await call(adminPeer, 'demo.echo', { text: 'x' })).toMatchObject({ ok: true, payload: { echoed: 'x' } });

    const readable = await withEcho('read');
    const { peer: reader2 } = await connect(readable.gateway, ['operator.read']);
    expect(await call(reader2, 'demo.echo', { text: 'y' })).toMatchObject({ ok: true, payload: { echoed: 'y' } });
    const { peer: pairer } = await connect(readable.gateway, ['operator.pairing']);
    expect((await call(pairer, 'demo.echo', { text: 'y' })).error).toMatchObject({ message: 'missing scope: operator.read' });
  });

  it('is callable in-process with callMethod, params validated the same way', async () => {
    const { gateway, seen } = await withEcho();
    await expect(gateway.callMethod('demo.echo', { text: 'hi', count: 3 })).resolves.toEqual({ echoed: 'hihihi' });
    const bad = gateway.callMethod('demo.echo', { text: 'hi', count: 0 });
    await expect(bad).rejects.toBeInstanceOf(GatewayError);
    await expect(bad).rejects.toMatchObject({ code: 'INVALID_REQUEST', message: expect.stringContaining('/count') });
    await expect(gateway.callMethod('demo.nope', {})).rejects.toMatchObject({ code: 'INVALID_REQUEST', message: 'unknown method: demo.nope' });
    expect(seen).toEqual([{ text: 'hi', count: 3 }]);
  });

  it('refuses a scope that is not an access class, and an $async schema (whose promise would read as valid)', () => {
    const gateway = kernel();
    expect(() => gateway.registerCustomMethod('demo.open', { params: ECHO_PARAMS, scope: 'operator.admin' as never }, () => ({}))).toThrow(/scope of demo\.open must be one of read, write, admin/);
    expect(() => gateway.registerCustomMethod('demo.async', { params: { $async: true, type: 'object', required: ['x'] } }, () => ({}))).toThrow(/must be synchronous/);
    expect(gateway.methods()).not.toContain('demo.open');
    expect(gateway.methods()).not.toContain('demo.async');
  });

  it('refuses schema-declared names and duplicates, and can be unregistered', () => {
    const gateway = kernel({ plugins: [] });
    expect(() => gateway.registerCustomMethod('health', { params: {} }, () => null)).toThrow('register it with registerMethod');
    const unregister = gateway.registerCustomMethod('demo.echo', { params: ECHO_PARAMS }, () => null);
    expect(() => gateway.registerCustomMethod('demo.echo', { params: ECHO_PARAMS }, () => null)).toThrow('method demo.echo already has a handler');
    expect(gateway.methods()).toEqual(['demo.echo']);
    unregister();
    expect(gateway.methods()).toEqual([]);
  });
});

describe('plugin lifecycle', () => {
  it('sets up every plugin in order, starts them in order, and stops them in reverse order at close()', async () => {
    const log: string[] = [];
    const gateway = kernel({ plugins: [recorder('a', log), recorder('b', log)] });
    gateway.use(recorder('c', log));
    await gateway.start();
    expect(log).toEqual(['a:setup', 'b:setup', 'c:setup', 'a:start', 'b:start', 'c:start']);
    log.length = 0;
    await gateway.close();
    expect(log).toEqual(['c:stop', 'b:stop', 'a:stop']);
    // close() is idempotent: nothing is stopped twice.
    await gateway.close();
    expect(log).toEqual(['c:stop', 'b:stop', 'a:stop']);
  });

  it('a stop failure does not keep the plugins before it from stopping; it is reported as an error event', async () => {
    const log: string[] = [];
    const gateway = kernel({ plugins: [recorder('a', log), recorder('b', log, 'stop'), recorder('c', log)] });
    const errors: Error[] = [];
    gateway.on('error', (err) => errors.push(err));
    await gateway.start();
    log.length = 0;
    await gateway.close();
    expect(log).toEqual(['c:stop', 'b:stop', 'a:stop']);
    expect(errors.map((e) => e.message)).toEqual(['b stop failed']);
  });

  it('a setup failure rejects start(): no plugin starts, those set up are stopped in reverse, connections are refused', async () => {
    const log: string[] = [];
    const gateway = kernel({ plugins: [recorder('a', log), recorder('b', log, 'setup'), recorder('c', log)] });
    await expect(gateway.start()).rejects.toThrow('b setup failed');
    // Setup may already hold something (an event subscription), so a set-up plugin is stopped.
    expect(log).toEqual(['a:setup', 'b:setup', 'b:stop', 'a:stop']);
    const socket = connectMemory(gateway);
    const closed = new Promise<{ code: number; reason: string }>((resolve) => (socket.onclose = (code, reason) => resolve({ code, reason })));
    expect(await closed).toEqual({ code: 1012, reason: 'service restart' });
    await expect(gateway.start()).rejects.toThrow(/cannot start/);
    await gateway.close();
    expect(log).toEqual(['a:setup', 'b:setup', 'b:stop', 'a:stop']);
  });

  it('a start failure rejects start() and stops every plugin set up, in reverse order, the failing one included', async () => {
    const log: string[] = [];
    const gateway = kernel({ plugins: [recorder('a', log), recorder('b', log), recorder('c', log, 'start'), recorder('d', log)] });
    await expect(gateway.start()).rejects.toThrow('c start failed');
    expect(log).toEqual(['a:setup', 'b:setup', 'c:setup', 'd:setup', 'a:start', 'b:start', 'c:start', 'd:stop', 'c:stop', 'b:stop', 'a:stop']);
    await gateway.close();
    expect(log.filter((l) => l.endsWith(':stop'))).toEqual(['d:stop', 'c:stop', 'b:stop', 'a:stop']);
  });

  it('close() while start() is in flight stops what was set up, rejects start() with CLOSED, and leaves nothing running', async () => {
    const log: string[] = [];
    let release!: () => void;
    const slow: GatewayPlugin = {
      name: 'slow',
      setup: () => void log.push('slow:setup'),
      start: () => new Promise<void>((resolve) => (release = () => (log.push('slow:start'), resolve()))),
      stop: () => void log.push('slow:stop'),
    };
    const gateway = kernel({ plugins: [recorder('a', log), slow, recorder('b', log)] });
    const starting = gateway.start();
    await vi.waitFor(() => expect(release).toBeTypeOf('function'));
    const closing = gateway.close();
    release();
    await expect(starting).rejects.toMatchObject({ code: 'CLOSED' });
    await closing;
    expect(log).toEqual(['a:setup', 'slow:setup', 'b:setup', 'a:start', 'slow:start', 'b:stop', 'slow:stop', 'a:stop']);
    const socket = connectMemory(gateway);
    const closed = new Promise<number>((resolve) => (socket.onclose = (code) => resolve(code)));
    expect(await closed).toBe(1012);
  });

  it('use() is refused once the gateway started', async () => {
    const gateway = kernel({ plugins: [] });
    await gateway.start();
    expect(() => gateway.use(recorder('late', []))).toThrow('plugin late added after the gateway started');
  });
});

describe('services', () => {
  const thing = new ServiceKey<{ value: number }>('demo.thing');

  it('service() throws naming the key when no plugin provides it; optionalService() answers undefined', async () => {
    const gateway = kernel({ plugins: [] });
    await gateway.start();
    expect(() => gateway.service(thing)).toThrow(TypeError);
    expect(() => gateway.service(thing)).toThrow('no plugin provides the demo.thing service');
    expect(gateway.optionalService(thing)).toBeUndefined();
  });

  it('a plugin provides a service to the plugins set up after it and to the embedder after start', async () => {
    const provided = { value: 42 };
    let seenBy: { value: number } | undefined;
    const provider: GatewayPlugin = { name: 'provider', setup: (host: GatewayHost) => void host.provide(thing, provided) };
    const consumer: GatewayPlugin = { name: 'consumer', setup: (host: GatewayHost) => void (seenBy = host.service(thing)) };
    const gateway = kernel({ plugins: [provider, consumer] });
    expect(gateway.optionalService(thing)).toBeUndefined();
    await gateway.start();
    expect(seenBy).toBe(provided);
    expect(gateway.service(thing)).toBe(provided);
  });

  it('devices and presence are the kernel\'s, there right after construction', () => {
    const gateway = kernel({ plugins: [] });
    expect(gateway.service(devicesService).listPaired()).toEqual([]);
    expect(gateway.service(presenceService).list()).toEqual(expect.any(Array));
  });
});
