import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { afterEach, describe, expect, it } from 'vitest';
import type { GatewayClient } from '../../../lib/client/index.js';
import type { ExecApprovalRequestedPayload, ExecApprovalResolvedPayload, ExecApprovalsFile } from '../../../lib/protocol/generated/types.js';
import { startApprovalsGateway, startExecNode, type ApprovalsGateway, type ExecNode } from '../../helpers/exec-node.js';
import { ManualClock } from '../../helpers/manual-clock.js';
import { startOperator } from '../../helpers/nodes.js';
import { seedReference } from '../../helpers/seed-reference.js';

const REFERENCE = seedReference('protocol.schema.json');
const V4 = JSON.parse(readFileSync(join(__dirname, '../../../node_modules/@openclaw/gateway-protocol/protocol.schema.json'), 'utf8'));
const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
if (REFERENCE) ajv.addSchema(REFERENCE, 'reference');
ajv.addSchema(V4, 'v4');

/** Problems of `value` against the seed-era reference (where it is on this machine) and the v4 definition of the same name. */
function shapeProblems(definition: string, value: unknown): string[] {
  return [...(REFERENCE ? ['reference'] : []), 'v4'].flatMap((schema) => {
    const check = ajv.getSchema(`${schema}#/definitions/${definition}`)!;
    return check(value) ? [] : [`${schema}: ${ajv.errorsText(check.errors)}`];
  });
}

const ALLOWLIST_ECHO: ExecApprovalsFile = {
  version: 1,
  defaults: { security: 'allowlist', ask: 'on-miss', askFallback: 'deny' },
  agents: { main: { allowlist: [{ pattern: 'echo' }] } },
};

describe('exec approvals over WebSocket', () => {
  const cleanup: Array<() => unknown> = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  async function setup(options: Parameters<typeof startApprovalsGateway>[0] = {}): Promise<{ gw: ApprovalsGateway; admin: GatewayClient; node: ExecNode }> {
    const gw = await startApprovalsGateway(options);
    cleanup.push(() => gw.close());
    const admin = await operator(gw.url);
    const node = await startExecNode(gw.url);
    cleanup.push(() => node.close());
    return { gw, admin, node };
  }

  async function operator(url: string, scopes?: string[]): Promise<GatewayClient> {
    const client = await startOperator(url, scopes ? { scopes } : {});
    cleanup.push(() => client.close());
    return client;
  }

  function run(client: GatewayClient, argv: string[], extra: Record<string, unknown> = {}) {
    return client.call('node.invoke', { nodeId: 'node-host', command: 'system.run', params: { command: argv, ...extra }, idempotencyKey: `k-${Math.random()}` }, { timeoutMs: 15_000 });
  }

  async function allow(admin: GatewayClient, file: ExecApprovalsFile): Promise<void> {
    const { hash } = await admin.call('exec.approvals.get');
    await admin.call('exec.approvals.set', { file, baseHash: hash });
  }

  it('get answers the reference snapshot; set needs the current hash, writes atomically and keeps the socket token to itself', async () => {
    const { gw, admin } = await setup();
    const fresh = await admin.call('exec.approvals.get');
    expect(fresh).toEqual({ path: join(gw.stateDir, 'exec-approvals.json'), exists: false, hash: createHash('sha256').update('').digest('hex'), file: { version: 1, defaults: {}, agents: {} } });
    expect(shapeProblems('ExecApprovalsSnapshot', fresh)).toEqual([]);

    // A companion app's file: its socket token must never be sent back, and survives a set.
    const raw = JSON.stringify({ version: 1, socket: { path: '/tmp/x.sock', token: 'secret-token' }, defaults: {}, agents: {}, stray: 1 });
    await writeFile(fresh.path, raw);
    const existing = await admin.call('exec.approvals.get');
    expect(existing).toMatchObject({ exists: true, hash: createHash('sha256').update(raw).digest('hex'), file: { version: 1, socket: { path: '/tmp/x.sock' } } });
    expect(JSON.stringify(existing)).not.toContain('secret-token');

    await expect(admin.call('exec.approvals.set', { file: ALLOWLIST_ECHO })).rejects.toMatchObject({
      code: 'INVALID_REQUEST',
      message: 'exec approvals base hash required; re-run exec.approvals.get and retry',
    });
    await expect(admin.call('exec.approvals.set', { file: ALLOWLIST_ECHO, baseHash: fresh.hash })).rejects.toMatchObject({
      code: 'INVALID_REQUEST',
      message: 'exec approvals changed since last load; re-run exec.approvals.get and retry',
    });
    const saved = await admin.call('exec.approvals.set', { file: ALLOWLIST_ECHO, baseHash: existing.hash });
    expect(saved.file).toEqual({ ...ALLOWLIST_ECHO, socket: { path: '/tmp/x.sock' } });
    expect(shapeProblems('ExecApprovalsSnapshot', saved)).toEqual([]);
    const onDisk = await readFile(saved.path, 'utf8');
    expect(createHash('sha256').update(onDisk).digest('hex')).toBe(saved.hash);
    expect(JSON.parse(onDisk).socket).toEqual({ path: '/tmp/x.sock', token: 'secret-token' });
    // v4's additive fields are accepted as given.
    const v4File = { version: 1 as const, agents: { main: { allowlist: [{ pattern: 'ls', id: 'e1', source: 'allow-always' as const, argPattern: '-la' }] } } };
    const again = await admin.call('exec.approvals.set', { file: v4File, baseHash: saved.hash });
    expect(again.file.agents).toEqual(v4File.agents);
    await expect(operator(gw.url, ['operator.approvals']).then((c) => c.call('exec.approvals.get'))).rejects.toMatchObject({ message: 'missing scope: operator.admin' });
  });

  it('system.run is refused with security=deny (the default), and an allowlist hit runs without asking', async () => {
    const { admin, node } = await setup();
    const requested: ExecApprovalRequestedPayload[] = [];
    admin.on('exec.approval.requested', (p) => requested.push(p));
    await expect(run(admin, ['echo', 'hi'])).rejects.toMatchObject({ code: 'UNAVAILABLE', message: 'SYSTEM_RUN_DISABLED: security=deny' });
    expect(node.requests).toEqual([]);

    await allow(admin, ALLOWLIST_ECHO);
    const result = await run(admin, ['echo', 'hi']);
    expect(result.payload).toMatchObject({ exitCode: 0, stdout: 'hi\n' });
    expect(requested).toEqual([]);
    expect(JSON.parse(node.requests[0]!.paramsJSON!)).toEqual({ command: ['echo', 'hi'] });
    // The hit is recorded on the entry.
    const { file } = await admin.call('exec.approvals.get');
    expect(file.agents!.main!.allowlist![0]).toMatchObject({ pattern: 'echo', lastUsedAt: expect.any(Number), lastUsedCommand: 'echo hi' });
    // ask=off and a miss: refused without asking.
    await allow(admin, { ...ALLOWLIST_ECHO, defaults: { security: 'allowlist', ask: 'off' } });
    await expect(run(admin, ['/bin/echo', 'x'])).rejects.toMatchObject({ message: 'SYSTEM_RUN_DENIED: allowlist miss' });
    expect(requested).toEqual([]);
  });

  it('cannot be talked past: approval claims are stripped, dot segments, PATH overrides and unknown agents are refused, and node.invoke cannot reach the approvals commands', async () => {
    const { admin, node } = await setup();
    await allow(admin, { version: 1, defaults: { security: 'allowlist', ask: 'off' }, agents: { main: { allowlist: [{ pattern: 'echo' }, { pattern: '/opt/tools/**' }] } } });
    // A caller's own approved flag never reaches the node.
    await run(admin, ['echo', 'ok'], { approved: true, approvalDecision: 'allow-always', rawCommand: 'ls' });
    expect(JSON.parse(node.requests.at(-1)!.paramsJSON!)).toEqual({ command: ['echo', 'ok'], rawCommand: 'ls' });
    await expect(run(admin, ['/opt/tools/../../bin/sh', '-c', 'id'])).rejects.toMatchObject({ code: 'INVALID_REQUEST', message: expect.stringContaining('. or .. segments') });
    await expect(run(admin, ['echo', 'x'], { env: { PATH: '/tmp/evil' } })).rejects.toMatchObject({ message: 'system.run env may not set PATH' });
    await expect(run(admin, ['echo', 'x'], { agentId: 'nobody' })).rejects.toMatchObject({ message: 'system.run: unknown agent "nobody"' });
    const before = node.requests.length;
    await expect(
      admin.call('node.invoke', { nodeId: 'node-host', command: 'system.execApprovals.set', params: { file: { version: 1, defaults: { security: 'full' } } }, idempotencyKey: 'sneak' }),
    ).rejects.toMatchObject({ code: 'INVALID_REQUEST', message: expect.stringContaining('exec.approvals.node.get|set') });
    expect(node.requests.length).toBe(before);
    // The admin path still reaches it.
    expect(await admin.call('exec.approvals.node.get', { nodeId: 'node-host' })).toMatchObject({ exists: false });
  });

  it('a miss waits for an operator: allow-once runs it, deny refuses it; only approvers see the events', async () => {
    const { gw, admin, node } = await setup();
    await allow(admin, ALLOWLIST_ECHO);
    const approver = await operator(gw.url, ['operator.approvals']);
    const reader = await operator(gw.url, ['operator.read']);
    const seen: string[] = [];
    reader.on('exec.approval.requested', () => seen.push('reader'));
    const requests: ExecApprovalRequestedPayload[] = [];
    const resolved: ExecApprovalResolvedPayload[] = [];
    approver.on('exec.approval.requested', (p) => requests.push(p));
    approver.on('exec.approval.resolved', (p) => resolved.push(p));

    const pending = run(admin, ['printf', '%s', 'approved'], { cwd: '/', sessionKey: 'main' });
    await expect.poll(() => requests.length).toBe(1);
    expect(node.requests).toEqual([]);
    const [ask] = requests;
    expect(ask).toMatchObject({
      request: { command: 'printf %s approved', commandArgv: ['printf', '%s', 'approved'], cwd: '/', nodeId: 'node-host', host: 'node', security: 'allowlist', ask: 'on-miss', agentId: 'main', sessionKey: 'main' },
    });
    expect(ask!.expiresAtMs - ask!.createdAtMs).toBe(120_000);
    await expect(approver.call('exec.approval.resolve', { id: ask!.id, decision: 'maybe' })).rejects.toMatchObject({ message: 'invalid decision' });
    await expect(reader.call('exec.approval.resolve', { id: ask!.id, decision: 'allow-once' })).rejects.toMatchObject({ message: 'missing scope: operator.approvals' });
    await expect(approver.call('exec.approval.resolve', { id: ask!.id, decision: 'allow-once' })).resolves.toEqual({ ok: true });
    expect((await pending).payload).toMatchObject({ exitCode: 0, stdout: 'approved' });
    expect(JSON.parse(node.requests[0]!.paramsJSON!)).toMatchObject({ approved: true, approvalDecision: 'allow-once' });
    await expect.poll(() => resolved.length).toBe(1);
    expect(resolved[0]).toEqual({ id: ask!.id, decision: 'allow-once', resolvedBy: 'test', ts: expect.any(Number) });
    await expect(approver.call('exec.approval.resolve', { id: ask!.id, decision: 'deny' })).rejects.toMatchObject({ message: 'unknown approval id' });

    const denied = run(admin, ['printf', 'no']).catch((err: unknown) => err);
    await expect.poll(() => requests.length).toBe(2);
    await approver.call('exec.approval.resolve', { id: requests[1]!.id, decision: 'deny' });
    expect(await denied).toMatchObject({ code: 'UNAVAILABLE', message: 'SYSTEM_RUN_DENIED: user denied' });
    expect(node.requests).toHaveLength(1);
    expect(seen).toEqual([]);
  });

  it('allow-always adds an allowlist entry, so the next run does not ask', async () => {
    const { admin, node } = await setup();
    await allow(admin, ALLOWLIST_ECHO);
    const requests: ExecApprovalRequestedPayload[] = [];
    admin.on('exec.approval.requested', (p) => requests.push(p));
    const first = run(admin, ['true']);
    await expect.poll(() => requests.length).toBe(1);
    await admin.call('exec.approval.resolve', { id: requests[0]!.id, decision: 'allow-always' });
    expect((await first).payload).toMatchObject({ exitCode: 0 });
    const { file } = await admin.call('exec.approvals.get');
    expect(file.agents!.main!.allowlist!.map((e) => e.pattern)).toEqual(['echo', 'true']);
    await run(admin, ['true']);
    expect(requests).toHaveLength(1);
    expect(node.requests).toHaveLength(2);
  });

  it('an unanswered ask times out on the injected clock: denied, or run when askFallback says full', async () => {
    const clock = new ManualClock(Date.now());
    const { admin, node } = await setup({ clock });
    await allow(admin, ALLOWLIST_ECHO);
    const requests: ExecApprovalRequestedPayload[] = [];
    const resolved: ExecApprovalResolvedPayload[] = [];
    admin.on('exec.approval.requested', (p) => requests.push(p));
    admin.on('exec.approval.resolved', (p) => resolved.push(p));

    const timedOut = run(admin, ['printf', 'late']);
    const outcome = timedOut.then(() => 'ran', (err: Error) => err.message);
    await expect.poll(() => requests.length).toBe(1);
    await clock.advance(119_999);
    expect(resolved).toEqual([]);
    await clock.advance(1);
    expect(await outcome).toBe('SYSTEM_RUN_DENIED: approval timed out');
    await expect.poll(() => resolved.length).toBe(1);
    expect(resolved[0]).toMatchObject({ id: requests[0]!.id, decision: null, resolvedBy: null });
    expect(node.requests).toEqual([]);

    await allow(admin, { ...ALLOWLIST_ECHO, defaults: { security: 'allowlist', ask: 'on-miss', askFallback: 'full' } });
    const fallback = run(admin, ['printf', 'fallback']);
    await expect.poll(() => requests.length).toBe(2);
    await clock.advance(120_000);
    expect((await fallback).payload).toMatchObject({ stdout: 'fallback' });
  });

  it('exec.approval.request waits for the decision, or answers null when its timeoutMs passes', async () => {
    const clock = new ManualClock(Date.now());
    const { gw, admin } = await setup({ clock });
    const host = await operator(gw.url, ['operator.approvals']);
    const requests: ExecApprovalRequestedPayload[] = [];
    admin.on('exec.approval.requested', (p) => requests.push(p));

    const asked = host.call('exec.approval.request', { id: 'ask-1', command: 'rm -rf build', cwd: '/srv', host: 'node', agentId: 'main', timeoutMs: 5_000, turnSourceChannel: 'telegram' });
    await expect.poll(() => requests.length).toBe(1);
    expect(requests[0]).toEqual({ id: 'ask-1', request: { command: 'rm -rf build', cwd: '/srv', host: 'node', agentId: 'main', turnSourceChannel: 'telegram' }, createdAtMs: clock.now(), expiresAtMs: clock.now() + 5_000 });
    await expect(host.call('exec.approval.request', { id: 'ask-1', command: 'again' })).rejects.toMatchObject({ message: 'approval id already pending' });
    await admin.call('exec.approval.resolve', { id: 'ask-1', decision: 'allow-always', reviewer: { channel: 'telegram', accountId: 'default', senderId: '42' } });
    expect(await asked).toEqual({ id: 'ask-1', decision: 'allow-always', createdAtMs: requests[0]!.createdAtMs, expiresAtMs: requests[0]!.expiresAtMs });

    const expiring = host.call('exec.approval.request', { command: 'ls', timeoutMs: 1_000 });
    await expect.poll(() => requests.length).toBe(2);
    await clock.advance(1_000);
    expect(await expiring).toMatchObject({ id: requests[1]!.id, decision: null });
    await expect(operator(gw.url, ['operator.write']).then((c) => c.call('exec.approval.request', { command: 'ls' }))).rejects.toMatchObject({
      message: 'missing scope: operator.approvals',
    });
  });

  it('exec.approvals.node.get|set relay to the node’s own file', async () => {
    const { admin } = await setup();
    const snapshot = await admin.call('exec.approvals.node.get', { nodeId: 'node-host' });
    expect(snapshot).toMatchObject({ exists: false, hash: expect.any(String), file: { version: 1 } });
    expect(shapeProblems('ExecApprovalsSnapshot', snapshot)).toEqual([]);
    const saved = await admin.call('exec.approvals.node.set', { nodeId: 'node-host', file: ALLOWLIST_ECHO, baseHash: snapshot.hash as string });
    expect(saved).toMatchObject({ exists: true, file: ALLOWLIST_ECHO });
    await expect(admin.call('exec.approvals.node.set', { nodeId: 'node-host', file: ALLOWLIST_ECHO, baseHash: snapshot.hash as string })).rejects.toMatchObject({
      code: 'UNAVAILABLE',
      details: { nodeError: { message: 'exec approvals changed since last load; re-run exec.approvals.get and retry' } },
    });
    await expect(admin.call('exec.approvals.node.get', { nodeId: 'elsewhere' })).rejects.toMatchObject({ code: 'UNAVAILABLE', message: 'node not connected' });
    await expect(admin.call('exec.approvals.node.get', {} as never)).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
  });
});
