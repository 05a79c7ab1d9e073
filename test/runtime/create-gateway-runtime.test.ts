import { once } from 'node:events';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { createGatewayRuntime, EMBEDDED_CONFIG_FILE } from '../../runtime/index.js';
import type { GatewayRuntime } from '../../runtime/gateway-runtime.js';
import { connectPeer, killAll, makeEnv, startGateway } from '../bin/helpers.js';

const TOKEN = 'runtime-parity-token-0123456789';
const cleanups: Array<() => Promise<unknown> | unknown> = [];

afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
  await killAll();
});

async function hostServer(): Promise<{ server: Server; port: number }> {
  const server = createServer((_req, res) => res.writeHead(418).end('host'));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  cleanups.push(() => new Promise((resolve) => server.close(resolve)));
  return { server, port: (server.address() as AddressInfo).port };
}

async function features(url: string): Promise<{ methods: string[]; events: string[] }> {
  const peer = await connectPeer(url, TOKEN);
  const hello = peer.frames.find((f) => f.type === 'res' && f.id === '1')!.payload;
  peer.ws.close();
  return { methods: [...hello.features.methods].sort(), events: [...hello.features.events].sort() };
}

function track(runtime: GatewayRuntime): GatewayRuntime {
  cleanups.push(() => runtime.stop());
  return runtime;
}

describe('createGatewayRuntime', () => {
  it('advertises the same methods and events as the CLI gateway for the same config', async () => {
    const t = await makeEnv({ OPENCLAW_SKIP_CANVAS_HOST: '1' });
    const config = {
      gateway: { mode: 'local', auth: { token: TOKEN } },
      channels: { telegram: { enabled: false, botToken: '1:x' } },
    };
    await writeFile(t.configPath, JSON.stringify(config));
    const cli = await startGateway(['--port', '0'], t);
    const fromCli = await features(cli.url);

    const { server, port } = await hostServer();
    const runtime = track(await createGatewayRuntime({ config: t.configPath, stateDir: t.stateDir, server, env: { OPENCLAW_SKIP_CANVAS_HOST: '1' } }));
    await runtime.start();
    const embedded = await features(`ws://127.0.0.1:${port}`);

    expect(embedded).toEqual(fromCli);
    expect(embedded.methods).toEqual(expect.arrayContaining(['health', 'node.list', 'config.get', 'logs.tail', 'agent', 'chat.history', 'sessions.list', 'send', 'channels.status']));
  });

  it('takes a config object, keeps it as a 0600 file in the state dir, and refuses an invalid one naming the key', async () => {
    const t = await makeEnv();
    const runtime = track(
      await createGatewayRuntime({ config: { gateway: { mode: 'local', auth: { token: TOKEN } }, canvasHost: { enabled: false } }, stateDir: t.stateDir, env: {}, overrides: { port: '0' } }),
    );
    await runtime.start();
    const file = join(t.stateDir, EMBEDDED_CONFIG_FILE);
    expect(JSON.parse(await readFile(file, 'utf8')).gateway.auth.token).toBe(TOKEN);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const { methods } = await features(`ws://127.0.0.1:${runtime.port}`);
    expect(methods).toContain('config.get');

    await expect(createGatewayRuntime({ config: { gateway: { bind: 'everywhere' } } as never, stateDir: t.stateDir, env: {} })).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringMatching(/gateway\.bind: must be one of/),
    });
  });

  it('leaves the host server serving its own routes, during and after the runtime', async () => {
    const t = await makeEnv();
    const { server, port } = await hostServer();
    const runtime = await createGatewayRuntime({ config: { gateway: { mode: 'local', auth: { token: TOKEN } } }, stateDir: t.stateDir, server, env: {} });
    await runtime.start();
    expect((await fetch(`http://127.0.0.1:${port}/elsewhere`)).status).toBe(418);
    expect((await fetch(`http://127.0.0.1:${port}/tools/invoke`, { method: 'POST' })).status).toBe(401);
    await runtime.stop();
    expect((await fetch(`http://127.0.0.1:${port}/tools/invoke`, { method: 'POST' })).status).toBe(418);
    expect(server.listening).toBe(true);
  });

  it("takes only the WebSocket upgrades of its path, so the host's own WebSocket server keeps its own", async () => {
    const t = await makeEnv();
    const { server, port } = await hostServer();
    // The way ws documents several WebSocket servers on one HTTP server: each takes its own path.
    const hostWss = new WebSocketServer({ noServer: true });
    server.on('upgrade', (req, socket, head) => {
      if (req.url === '/host-ws') hostWss.handleUpgrade(req, socket, head, (ws) => ws.send('host socket'));
    });
    cleanups.push(() => new Promise((resolve) => hostWss.close(resolve)));
    await track(await createGatewayRuntime({ config: { gateway: { mode: 'local', auth: { token: TOKEN } } }, stateDir: t.stateDir, server, env: {} })).start();

    const hostClient = new WebSocket(`ws://127.0.0.1:${port}/host-ws`);
    cleanups.push(() => hostClient.terminate());
    const [first] = (await once(hostClient, 'message')) as [Buffer];
    expect(first.toString()).toBe('host socket');
    const { methods } = await features(`ws://127.0.0.1:${port}`);
    expect(methods).toContain('health');
  });
});
