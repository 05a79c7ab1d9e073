import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { GatewayClient } from '../../../lib/client/index.js';
import type { ExecApprovalRequestedPayload } from '../../../lib/protocol/generated/types.js';
import { TOKEN } from '../../helpers/connect.js';
import { startExecNode, type ExecNode } from '../../helpers/exec-node.js';
import { startOperator } from '../../helpers/nodes.js';
import { killAll, makeEnv, parseJson, runCli, spawnCli, startGateway, type TestEnv } from '../helpers.js';

const cleanup: Array<() => unknown> = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
  await killAll();
});

async function gateway(): Promise<{ t: TestEnv; url: string; node: ExecNode; cli: (...args: string[]) => ReturnType<typeof runCli> }> {
  const t = await makeEnv({ OPENCLAW_GATEWAY_TOKEN: TOKEN });
  const gw = await startGateway(['--allow-unconfigured', '--port', '0'], t);
  const node = await startExecNode(gw.url);
  cleanup.push(() => node.close());
  return { t, url: gw.url, node, cli: (...args) => runCli([...args, '--url', gw.url], t) };
}

describe('openclaw approvals and nodes run against a real gateway', () => {
  it('approvals get|set, on the gateway and on a node', async () => {
    const { t, cli } = await gateway();
    const got = await cli('approvals', 'get', '--json');
    expect(got.code, got.output).toBe(0);
    expect(parseJson(got.stdout)).toMatchObject({ path: join(t.stateDir, 'exec-approvals.json'), exists: false, file: { version: 1, defaults: {}, agents: {} } });
    const human = await cli('approvals');
    expect(human.stdout).toContain('Defaults: none set (security=deny ask=on-miss askFallback=deny)');

    const file = join(t.home, 'approvals.json');
    await writeFile(file, JSON.stringify({ defaults: { security: 'allowlist' }, agents: { main: { allowlist: [{ pattern: 'echo' }] } } }));
    const set = await cli('approvals', 'set', '--file', file);
    expect(set.code, set.output).toBe(0);
    expect(set.stdout).toContain("Saved the gateway's exec approvals.");
    expect(set.stdout).toContain('Agent main: as the defaults');
    expect(set.stdout).toContain('  allow echo');
    expect(parseJson((await cli('approvals', 'get', '--json')).stdout)).toMatchObject({ exists: true, file: { defaults: { security: 'allowlist' } } });

    const onNode = await cli('approvals', 'set', '--node', 'node-host', '--file', file, '--json');
    expect(onNode.code, onNode.output).toBe(0);
    expect(parseJson(onNode.stdout)).toMatchObject({ exists: true, file: { agents: { main: { allowlist: [{ pattern: 'echo' }] } } } });
    const nodeGet = await cli('approvals', 'get', '--node', 'node-host', '--json');
    expect(parseJson(nodeGet.stdout).hash).toBe(parseJson(onNode.stdout).hash);
    const missing = await cli('approvals', 'get', '--node', 'nope');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe('openclaw: node not connected\n');
  }, 60_000);

  it('nodes run: refused by default, runs on an allowlist hit, and waits for an operator otherwise', async () => {
    const { t, url, cli } = await gateway();
    const refused = await cli('nodes', 'run', '--node', 'node-host', 'echo', 'hi');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe('openclaw: SYSTEM_RUN_DISABLED: security=deny\n');

    const file = join(t.home, 'approvals.json');
    await writeFile(file, JSON.stringify({ version: 1, defaults: { security: 'allowlist', ask: 'on-miss' }, agents: { main: { allowlist: [{ pattern: 'echo' }] } } }));
    expect((await cli('approvals', 'set', '--file', file)).code).toBe(0);
    const hit = await cli('nodes', 'run', '--node', 'node-host', 'echo', 'hi');
    expect(hit.code, hit.output).toBe(0);
    expect(hit.stdout).toBe('hi\n');

    const approver: GatewayClient = await startOperator(url, { scopes: ['operator.approvals'] });
    cleanup.push(() => approver.close());
    const asks: ExecApprovalRequestedPayload[] = [];
    approver.on('exec.approval.requested', (p) => asks.push(p));
    const waiting = spawnCli(['nodes', 'run', '--node', 'node-host', '--url', url, '--', 'sh', '-c', 'echo out; echo err >&2; exit 3'], t);
    await expect.poll(() => asks.length, { timeout: 10_000 }).toBe(1);
    expect(asks[0]!.request.command).toBe(`sh -c 'echo out; echo err >&2; exit 3'`);
    await approver.call('exec.approval.resolve', { id: asks[0]!.id, decision: 'allow-once' });
    const exit = await waiting.wait(10_000);
    expect(exit.code).toBe(3);
    expect(waiting.stdout).toBe('out\n');
    expect(waiting.stderr).toBe('err\n');
  }, 60_000);
});
