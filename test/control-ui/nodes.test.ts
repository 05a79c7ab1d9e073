import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { GatewayClient } from '../../lib/client/index.js';
import { createNodeDeviceSigner, generateDeviceIdentity } from '../../lib/device-identity.js';
import { startExecNode, type ExecNode } from '../helpers/exec-node.js';
import { startNode, startOperator } from '../helpers/nodes.js';
import { expectNoAxeViolations } from './axe.js';
import { HAS_CHROMIUM, SKIP_MESSAGE, screenshot, startUiGateway, unlabelledControls, type UiGateway, useBrowser } from './harness.js';

if (!HAS_CHROMIUM) console.warn(SKIP_MESSAGE);

describe.skipIf(!HAS_CHROMIUM)('Control UI in a real browser: Nodes & devices (approval prompts, approvals editor, device tokens)', () => {
  const ui = useBrowser();
  let gw: UiGateway;
  let page: Page;
  let operator: GatewayClient;
  const clients: GatewayClient[] = [];
  const execNodes: ExecNode[] = [];

  beforeEach(async () => {
    gw = await startUiGateway({ assetsDir: ui.assetsDir });
    operator = await startOperator(`ws://127.0.0.1:${gw.port}`, { client: { id: 'test', mode: 'backend', version: '1', platform: 'linux', displayName: 'Ops Script' } });
    clients.push(operator);
    page = await ui.newPage();
    await page.goto(gw.dashboardUrl);
    await page.getByTestId('connection').filter({ hasText: 'Connected' }).waitFor();
    await page.getByRole('link', { name: 'Nodes & devices' }).click();
    await page.getByRole('heading', { name: 'Nodes & devices', level: 1 }).waitFor();
  });

  afterEach(async () => {
    for (const client of clients.splice(0)) client.close();
    await Promise.all(execNodes.splice(0).map((n) => n.close()));
    await gw?.stop();
  });

  it('shows exec approval prompts live; the operator answers one, another is answered elsewhere and leaves the page', async () => {
    const prompts = page.getByRole('region', { name: 'Commands waiting for approval' });
    await prompts.getByText('No command is waiting for approval.').waitFor();

    const asked = operator.call('exec.approval.request', { command: 'rm -rf /tmp/build', commandArgv: ['rm', '-rf', '/tmp/build'], cwd: '/srv/app', agentId: 'main', host: 'gateway', timeoutMs: 60_000 });
    const prompt = prompts.getByRole('article', { name: 'rm -rf /tmp/build' });
    await prompt.waitFor();
    expect(await prompt.textContent()).toContain('/srv/app');
    expect(await prompt.textContent()).toMatch(/Expires\d+s left/);
    expect(await unlabelledControls(page)).toEqual([]);
    await screenshot(page, 'nodes-approval-prompt-1440');
    await expectNoAxeViolations(page, {}, 'Nodes with an approval prompt');
    await page.emulateMedia({ colorScheme: 'dark' });
    await expectNoAxeViolations(page, {}, 'Nodes with an approval prompt, dark scheme');
    await screenshot(page, 'nodes-approval-prompt-dark-1440');

    await prompt.getByRole('button', { name: 'Deny' }).click();
    expect(await asked).toMatchObject({ decision: 'deny' });
    await prompt.waitFor({ state: 'detached' });
    await page.getByRole('status').filter({ hasText: 'rm -rf /tmp/build: deny by Control UI.' }).waitFor();

    // A prompt already waiting when the page (re)loads is listed too, and one answered by someone else goes away.
    const second = operator.call('exec.approval.request', { id: 'ask-2', command: 'curl https://example.com', agentId: 'main', timeoutMs: 60_000 });
    const other = prompts.getByRole('article', { name: 'curl https://example.com' });
    await other.waitFor();
    await page.reload();
    await page.getByTestId('connection').filter({ hasText: 'Connected' }).waitFor();
    await other.waitFor();
    await operator.call('exec.approval.resolve', { id: 'ask-2', decision: 'allow-once' });
    expect(await second).toMatchObject({ decision: 'allow-once' });
    await other.waitFor({ state: 'detached' });
    await page.getByRole('status').filter({ hasText: 'curl https://example.com: allow-once by Ops Script.' }).waitFor();
  }, 90_000);

  it('edits the gateway approvals file with its base hash, refuses a stale save in place, and edits a node\'s own file', async () => {
    const editor = page.getByRole('region', { name: 'Exec approvals' });
    await editor.getByText('exec-approvals.json').waitFor();
    await editor.getByLabel('Agent id').fill('main');
    await editor.getByRole('button', { name: 'Add agent' }).click();
    await editor.getByLabel('Allow pattern for main').fill('/usr/bin/git');
    await page.keyboard.press('Enter');
    await editor.getByRole('list', { name: 'Allowlist of agent main' }).getByText('/usr/bin/git').waitFor();
    await editor.locator('#approvals-agent-main-security').selectOption('allowlist');
    await editor.locator('#approvals-defaults-ask').selectOption('always');
    await editor.getByRole('button', { name: 'Save approvals' }).click();
    await editor.getByRole('status').filter({ hasText: 'Saved' }).waitFor();
    const stored = JSON.parse(await readFile(join(gw.stateDir, 'exec-approvals.json'), 'utf8'));
    expect(stored.agents.main).toMatchObject({ security: 'allowlist', allowlist: [{ pattern: '/usr/bin/git' }] });
    expect(stored.defaults).toMatchObject({ ask: 'always' });
    await screenshot(page, 'nodes-approvals-editor-1440');

    // Someone else changes the file: the page's save carries the old hash and is refused where it was made.
    const current = await operator.call('exec.approvals.get', {});
    await operator.call('exec.approvals.set', { file: { ...current.file, agents: { ...current.file.agents, ops: { allowlist: [{ pattern: '/bin/date' }] } } }, baseHash: current.hash });
    await editor.getByLabel('Allow pattern for main').fill('/usr/bin/make');
    await editor.getByRole('button', { name: 'Add pattern to agent main' }).click();
    await editor.getByRole('button', { name: 'Save approvals' }).click();
    const alert = editor.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toBe('exec.approvals.set failed: exec approvals changed since last load; re-run exec.approvals.get and retry');
    expect(JSON.parse(await readFile(join(gw.stateDir, 'exec-approvals.json'), 'utf8')).agents.main.allowlist).toHaveLength(1);
    await editor.getByRole('button', { name: 'Reload' }).click();
    await editor.getByRole('group', { name: 'Agent ops' }).waitFor();
    expect(await editor.getByRole('alert').count()).toBe(0);

    // A node that serves its own file is a target of its own.
    const node = await startExecNode(`ws://127.0.0.1:${gw.port}`, { displayName: 'Build Box' });
    execNodes.push(node);
    const target = editor.getByLabel('Approvals file of');
    await expect.poll(async () => (await target.locator('option').allTextContents()).join('|'), { timeout: 15_000 }).toContain('Node Build Box');
    await target.selectOption({ label: 'Node Build Box' });
    await expect.poll(() => editor.getByRole('group', { name: 'Agent ops' }).count()).toBe(0);
    await editor.getByLabel('Agent id').fill('main');
    await editor.getByRole('button', { name: 'Add agent' }).click();
    await editor.getByLabel('Allow pattern for main').fill('/bin/ls');
    await editor.getByRole('button', { name: 'Add pattern to agent main' }).click();
    await editor.getByRole('button', { name: 'Save approvals' }).click();
    await editor.getByRole('status').filter({ hasText: 'Saved' }).waitFor();
    expect((await node.approvals.file()).agents?.main?.allowlist).toEqual([{ pattern: '/bin/ls' }]);
    await expectNoAxeViolations(page, {}, 'Nodes with the approvals editor on a node');
    await screenshot(page, 'nodes-approvals-node-1440');
    await page.setViewportSize({ width: 390, height: 844 });
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await screenshot(page, 'nodes-approvals-node-390');
  }, 90_000);

  it('rotates a device token (shown once, the old one stops working) and revokes it after a second click', async () => {
    const signer = createNodeDeviceSigner(generateDeviceIdentity());
    const node = await startNode(`ws://127.0.0.1:${gw.port}`, { signer, displayName: 'Kitchen Pi' });
    clients.push(node.client);
    const paired = page.getByRole('region', { name: 'Paired devices' });
    const rotate = paired.getByRole('button', { name: 'Rotate node token of Kitchen Pi' });
    await rotate.waitFor({ timeout: 15_000 });
    await rotate.click();
    const token = paired.getByTestId('rotated-token');
    await token.waitFor();
    const value = await token.inputValue();
    expect(value.length).toBeGreaterThan(20);
    expect(await paired.getByLabel('New node token of Kitchen Pi').inputValue()).toBe(value);
    // The token the node was handed at its first connect no longer opens a session; the new one does.
    const oldToken = node.hello.auth?.deviceToken;
    expect(oldToken).toEqual(expect.any(String));
    const withToken = (deviceToken: string) => startNode(`ws://127.0.0.1:${gw.port}`, { signer, displayName: 'Kitchen Pi', token: undefined, deviceToken });
    await expect(withToken(oldToken!)).rejects.toThrow();
    // The refused attempt counts against this address for a moment (auth rate limit): retry until it lets us in.
    const renewed = await vi.waitFor(() => withToken(value), { timeout: 10_000, interval: 500 });
    clients.push(renewed.client);
    const listed = await operator.call('device.pair.list', {});
    const device = listed.paired.find((d) => d.displayName === 'Kitchen Pi')!;
    expect(device.tokens?.find((t) => t.role === 'node')?.rotatedAtMs).toEqual(expect.any(Number));
    await screenshot(page, 'nodes-token-rotated-1440');

    const revoke = paired.getByRole('button', { name: 'Revoke node token of Kitchen Pi' });
    await revoke.click();
    const confirm = paired.getByRole('button', { name: 'Confirm revoke node token of Kitchen Pi' });
    await confirm.waitFor();
    // A presence change refreshes the lists while the button waits for its second click: it stays armed.
    const armed = await confirm.elementHandle();
    clients.push(await startOperator(`ws://127.0.0.1:${gw.port}`, { client: { id: 'test', mode: 'ui', version: '1', platform: 'linux', displayName: 'Second UI' } }));
    await expect.poll(() => armed!.evaluate((el) => el.isConnected), { timeout: 10_000 }).toBe(false);
    await confirm.click();
    await paired.getByRole('status').filter({ hasText: 'Revoked the node token of Kitchen Pi.' }).waitFor();
    await expect.poll(async () => (await operator.call('device.pair.list', {})).paired.find((d) => d.deviceId === device.deviceId)?.tokens?.find((t) => t.role === 'node')?.revokedAtMs).toEqual(expect.any(Number));
    await expect.poll(() => paired.locator('tr', { hasText: 'Kitchen Pi' }).textContent()).toContain('revoked');
  }, 90_000);
});
