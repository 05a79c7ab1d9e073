import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { channelsRuntimePlugin } from '../../../runtime/channels-runtime-plugin.js';
import { whatsappChannelDefinition } from '../../../channels/whatsapp.js';
import { loadCliContext } from '../../../bin/cli-context.js';
import { GatewayRuntime } from '../../../runtime/gateway-runtime.js';
import { fakeWaNetwork } from '../../channels/fake-wa-socket.js';
import { TOKEN } from '../../helpers/connect.js';
import { killAll, makeEnv, parseJson, runCli, spawnCli } from '../helpers.js';

const ME = '15551234567:9@s.whatsapp.net';
const runtimes: GatewayRuntime[] = [];
const dirs: string[] = [];

afterEach(async () => {
  await killAll();
  await Promise.all(runtimes.splice(0).map((r) => r.stop()));
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

/**
 * An in-process `openclaw gateway` runtime whose WhatsApp channel gets an injected Baileys-shaped
 * socket; the CLI under test runs as a real child process and only talks RPC to it.
 */
async function gatewayWithWhatsApp() {
  const home = await mkdtemp(join(tmpdir(), 'openclaw-wa-cli-'));
  dirs.push(home);
  const configPath = join(home, 'openclaw.json');
  await writeFile(configPath, JSON.stringify({ gateway: { mode: 'local' } }));
  const ctx = await loadCliContext({}, { HOME: home, OPENCLAW_STATE_DIR: home, OPENCLAW_CONFIG_PATH: configPath, OPENCLAW_GATEWAY_TOKEN: TOKEN });
  const wa = fakeWaNetwork();
  const runtime = new GatewayRuntime({
    environment: ctx,
    overrides: { port: '0' },
    out: () => undefined,
    plugins: [channelsRuntimePlugin({ definitions: [whatsappChannelDefinition({ socketFactory: wa.factory })] })],
    logDir: join(home, 'logs'),
  });
  await runtime.start();
  runtimes.push(runtime);
  const t = await makeEnv({ OPENCLAW_GATEWAY_TOKEN: TOKEN });
  const url = `ws://127.0.0.1:${runtime.port}`;
  return { wa, t, url, stateDir: home, cli: (...args: string[]) => runCli([...args, '--url', url], t) };
}

describe('openclaw channels login|status|logout (WhatsApp QR over RPC)', () => {
  it('draws the QR in the terminal, waits for the scan, then status and logout reflect the link', async () => {
    const { wa, t, url, cli } = await gatewayWithWhatsApp();
    const login = spawnCli(['channels', 'login', '--channel', 'whatsapp', '--url', url], t);
    await login.waitFor(/Scan this QR code in WhatsApp/);
    // qrcode-terminal's small mode draws with half blocks.
    await login.waitFor(/[▄▀█]{20,}/);
    (await wa.socket(0)).scan(ME);
    const exit = await login.wait(15_000);
    expect(exit.code, login.output).toBe(0);
    // Whether the scan lands before or during web.login.wait, the command ends linked.
    expect(login.stdout).toMatch(/(Linked! WhatsApp is connected|WhatsApp is linked and connected) as …4567\.\n$/);

    const status = await cli('channels', 'status', '--json');
    expect(parseJson(status.stdout).channelAccounts.whatsapp[0]).toMatchObject({ accountId: 'default', linked: true, connected: true, self: { e164: '+15551234567' } });
    const again = await cli('channels', 'login', '--channel', 'whatsapp');
    expect(again.stdout).toBe('WhatsApp is already linked as …4567.\n');

    const logout = await cli('channels', 'logout', '--channel', 'whatsapp');
    expect(logout.code, logout.output).toBe(0);
    expect(logout.stdout).toBe('whatsapp account default: credentials removed, session ended.\n');
    expect(wa.sockets[1]!.loggedOut).toBe(true);
    const after = await cli('channels', 'status');
    expect(after.stdout).toMatch(/^WhatsApp default: not linked/);
    const send = await cli('message', 'send', '--target', '+15550001111', '--message', 'x');
    expect(send.stderr).toMatch(/^openclaw: WhatsApp is not linked/);
  });

  it('exits non-zero when the QR expires before anyone scans it', async () => {
    const { wa, t, url } = await gatewayWithWhatsApp();
    const login = spawnCli(['channels', 'login', '--channel', 'whatsapp', '--url', url], t);
    await login.waitFor(/Scan this QR code/);
    (await wa.socket(0)).drop(408, 'QR refs attempts ended');
    const exit = await login.wait(15_000);
    expect(exit.code).toBe(1);
    expect(login.stdout).toMatch(/WhatsApp login failed: the QR code expired/);
    const wrong = await runCli(['channels', 'login', '--channel', 'telegram', '--url', url], t);
    expect(wrong.stderr).toBe('openclaw: channels login supports --channel whatsapp only (got telegram)\n');
  });
});
