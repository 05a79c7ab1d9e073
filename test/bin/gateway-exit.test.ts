import { Agent, get } from 'node:http';
import { afterEach, expect, it } from 'vitest';
import { isListening, killAll, makeEnv, startGateway } from './helpers.js';

afterEach(killAll);

/** A GET over a keep-alive agent: the socket stays open on both sides after the response. */
function keepAliveGet(port: number, path: string, agent: Agent): Promise<number> {
  return new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port, path, agent }, (res) => {
      res.resume();
      res.once('end', () => resolve(res.statusCode ?? 0));
    }).once('error', reject);
  });
}

it('an idle gateway stops and exits 0 after SIGTERM with HTTP keep-alive sockets still open', async () => {
  const t = await makeEnv();
  const gw = await startGateway(['--allow-unconfigured', '--port', '0', '--token', 'exit-test-token'], t);
  const agent = new Agent({ keepAlive: true });
  try {
    expect(await keepAliveGet(gw.port, '/healthz', agent)).toBe(200);
    expect(await keepAliveGet(gw.port, '/', agent)).toBeGreaterThan(0);
    gw.proc.kill('SIGTERM');
    // The stop must not wait on the keep-alive sockets (nor timers, watchers) and must free the
    // port; how fast it goes is the bench's business (`npm run bench -- idle`).
    const exit = await gw.proc.wait(15_000);
    expect(exit, gw.proc.output).toEqual({ code: 0, signal: null });
    expect(await isListening(gw.port)).toBe(false);
  } finally {
    agent.destroy();
  }
}, 60_000);
