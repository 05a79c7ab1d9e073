import { afterEach, describe, expect, it } from 'vitest';
import { createNodeDeviceSigner, generateDeviceIdentity } from '../../../lib/device-identity.js';
import { TOKEN } from '../../helpers/connect.js';
import { startNode, type TestNode } from '../../helpers/nodes.js';
import { killAll, makeEnv, parseJson, runCli, startGateway, type TestEnv } from '../helpers.js';

const nodes: TestNode[] = [];
afterEach(async () => {
  for (const node of nodes.splice(0)) node.client.close();
  await killAll();
});

async function gateway(): Promise<{ t: TestEnv; url: string; cli: (...args: string[]) => ReturnType<typeof runCli> }> {
  const t = await makeEnv({ OPENCLAW_GATEWAY_TOKEN: TOKEN });
  const gw = await startGateway(['--allow-unconfigured', '--port', '0'], t);
  return { t, url: gw.url, cli: (...args) => runCli([...args, '--url', gw.url], t) };
}

describe('openclaw nodes', () => {
  it('lists, describes and invokes a connected node, human and --json', async () => {
    const { url, cli } = await gateway();
    const [empty, emptyJson] = await Promise.all([cli('nodes', 'list'), cli('nodes', 'list', '--json')]);
    expect(empty.code, empty.output).toBe(0);
    expect(empty.stdout).toBe('No nodes.\n');
    expect(parseJson(emptyJson.stdout).nodes).toEqual([]);

    const identity = generateDeviceIdentity();
    const node = await startNode(url, {
      signer: createNodeDeviceSigner(identity),
      displayName: 'Test Node',
      answer: (req) => (req.command === 'canvas.snapshot' ? 'silent' : { ok: true, payload: { echo: JSON.parse(req.paramsJSON ?? 'null') } }),
    });
    nodes.push(node);
    const id = identity.deviceId;

    const [listJson, listHuman, describeJson, describeHuman] = await Promise.all([
      cli('nodes', 'list', '--json'),
      cli('nodes'),
      cli('nodes', 'describe', id, '--json'),
      cli('nodes', 'describe', id),
    ]);
    expect(listJson.code, listJson.output).toBe(0);
    expect(parseJson(listJson.stdout).nodes).toEqual([
      expect.objectContaining({ nodeId: id, displayName: 'Test Node', connected: true, paired: true, commands: ['canvas.eval', 'canvas.snapshot'] }),
    ]);
    expect(listHuman.stdout).toBe(`Test Node (${id})  connected  paired  linux  commands: canvas.eval, canvas.snapshot\n`);
    expect(parseJson(describeJson.stdout)).toMatchObject({ nodeId: id, ts: expect.any(Number), caps: ['canvas'] });
    expect(describeHuman.stdout).toContain(`Node: Test Node (${id})`);
    expect(describeHuman.stdout).toContain('State: connected, paired');
    expect(describeHuman.stdout).toContain('Commands: canvas.eval, canvas.snapshot');

    const [invokeJson, invokeHuman, timedOut, notAllowed] = await Promise.all([
      cli('nodes', 'invoke', id, 'canvas.eval', '--params', '{"js":"1+1"}', '--json'),
      cli('nodes', 'invoke', id, 'canvas.eval', '--params', '[1,2]'),
      cli('nodes', 'invoke', id, 'canvas.snapshot', '--timeout', '300'),
      cli('nodes', 'invoke', id, 'sms.send'),
    ]);
    expect(invokeJson.code, invokeJson.output).toBe(0);
    expect(parseJson(invokeJson.stdout)).toEqual({ ok: true, nodeId: id, command: 'canvas.eval', payload: { echo: { js: '1+1' } }, payloadJSON: null });
    expect(parseJson(invokeHuman.stdout)).toEqual({ echo: [1, 2] });
    expect(timedOut.code).toBe(1);
    expect(timedOut.stderr).toBe('openclaw: node invoke timed out\n');
    expect(notAllowed.code).toBe(1);
    expect(notAllowed.stderr).toBe('openclaw: node command not allowed\n');
    // What the node was asked for, verbatim.
    expect(node.requests.find((r) => r.command === 'canvas.snapshot')?.timeoutMs).toBe(300);
  }, 60_000);

  it('pending, approve, reject and rename through node.pair', async () => {
    const { cli } = await gateway();
    const [a, b] = (
      await Promise.all([
        cli('gateway', 'call', 'node.pair.request', '--params', '{"nodeId":"pi-1","displayName":"Pi","platform":"linux"}'),
        cli('gateway', 'call', 'node.pair.request', '--params', '{"nodeId":"pi-2"}'),
      ])
    ).map((r) => parseJson(r.stdout));
    const [pendingJson, pendingHuman] = await Promise.all([cli('nodes', 'pending', '--json'), cli('nodes', 'pending')]);
    expect(parseJson(pendingJson.stdout).pending.map((r: { nodeId: string }) => r.nodeId).sort()).toEqual(['pi-1', 'pi-2']);
    expect(pendingHuman.stdout).toContain(`${a.request.requestId}  pi-1  (Pi, linux)`);

    const [approved, rejected] = await Promise.all([cli('nodes', 'approve', a.request.requestId), cli('nodes', 'reject', b.request.requestId, '--json')]);
    expect(approved.code, approved.output).toBe(0);
    expect(approved.stdout).toMatch(new RegExp(`^Approved node Pi \\(pi-1\\) \\(request ${a.request.requestId}\\)\\.\\nNode token: [0-9a-f]{32}\\n$`));
    expect(parseJson(rejected.stdout)).toEqual({ requestId: b.request.requestId, nodeId: 'pi-2' });

    const [nonePending, renamed] = await Promise.all([cli('nodes', 'pending'), cli('nodes', 'rename', 'pi-1', 'Loft', 'Pi')]);
    expect(nonePending.stdout).toBe('No pending node pairing requests.\n');
    expect(renamed.stdout).toBe('Renamed pi-1 to "Loft Pi".\n');
    const listed = parseJson((await cli('nodes', 'list', '--json')).stdout).nodes;
    expect(listed).toEqual([expect.objectContaining({ nodeId: 'pi-1', displayName: 'Loft Pi', paired: true, connected: false })]);
  }, 60_000);

  it('says what is wrong: usage, unknown ids, unknown actions, bad --params', async () => {
    const { cli } = await gateway();
    const [noId, unknown, action, badParams, again] = await Promise.all([
      cli('nodes', 'describe'),
      cli('nodes', 'describe', 'nope'),
      cli('nodes', 'bogus'),
      cli('nodes', 'invoke', 'x', 'canvas.eval', '--params', '{nope'),
      cli('nodes', 'approve', 'no-such-request'),
    ]);
    expect(noId.code).toBe(1);
    expect(noId.stderr).toBe('openclaw: usage: openclaw nodes describe <nodeId>\n');
    expect(unknown.stderr).toBe('openclaw: unknown nodeId\n');
    expect(action.stderr).toMatch(/^openclaw: unknown nodes action: bogus/);
    expect(badParams.stderr).toMatch(/^openclaw: --params is not valid JSON/);
    expect(again.stderr).toBe('openclaw: unknown requestId\n');
    for (const r of [noId, unknown, action, badParams, again]) expect(r.code).toBe(1);
  }, 60_000);
});
