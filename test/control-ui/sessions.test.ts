import type { Page } from 'playwright-core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { GatewayClient } from '../../lib/client/index.js';
import { expectNoAxeViolations } from './axe.js';
import { chatTurn, operatorClient } from './chat-turns.js';
import { HAS_CHROMIUM, SKIP_MESSAGE, screenshot, startUiGateway, tempDir, type UiGateway, unlabelledControls, useBrowser } from './harness.js';
import { ModelStandIn } from './model-stand-in.js';

if (!HAS_CHROMIUM) console.warn(SKIP_MESSAGE);

describe.skipIf(!HAS_CHROMIUM)('Control UI in a real browser: Sessions view against sessions made by chatting', () => {
  const ui = useBrowser();
  let page: Page;
  let gw: UiGateway;
  let model: ModelStandIn;
  let client: GatewayClient;

  beforeEach(async () => {
    model = new ModelStandIn();
    await model.start();
    gw = await startUiGateway({
      assetsDir: ui.assetsDir,
      config: {
        models: {
          providers: {
            standin: {
              baseUrl: model.baseUrl,
              api: 'openai-completions',
              apiKey: 'sk-stand-in',
              models: [
                { id: 'stand-in-1', name: 'Stand-in One' },
                { id: 'stand-in-2', name: 'Stand-in Two' },
              ],
            },
          },
        },
        agents: { defaults: { model: 'standin/stand-in-1', workspace: await tempDir('openclaw-ui-workspace-') } },
      },
    });
    client = await operatorClient(gw);
    model.script = ['Noted: planning the trip.'];
    await chatTurn(client, 'main', 'Plan a trip to Lisbon');
    model.script = ['Research reply.'];
    await chatTurn(client, 'research', 'Find papers on tide pools');
    page = await ui.newPage();
    await page.goto(gw.dashboardUrl);
    await page.getByTestId('connection').filter({ hasText: 'Connected' }).waitFor();
    await page.getByRole('link', { name: 'Sessions', exact: true }).click();
    await page.getByRole('heading', { name: 'Sessions', level: 1 }).waitFor();
  });

  afterEach(async () => {
    client?.close();
    await gw?.stop();
    await model?.close();
  });

  const sessionButton = (key: string) => page.locator(`button.session-open[data-key="${key}"]`);
  const row = async (key: string) => (await client.call('sessions.list', {})).sessions.find((s) => s.key === key);

  it('lists and searches sessions, previews one, and saves its overrides (label, thinking, verbose, reasoning, model)', async () => {
    await sessionButton('agent:main:main').waitFor();
    await sessionButton('agent:main:research').waitFor();
    expect(await page.getByRole('status').filter({ hasText: 'sessions.' }).textContent()).toContain('2 sessions');

    await page.getByLabel('Search sessions').fill('research');
    await expect.poll(() => page.locator('button.session-open').count()).toBe(1);
    expect(await sessionButton('agent:main:research').isVisible()).toBe(true);
    await page.getByLabel('Search sessions').fill('no-such-session');
    await page.getByText('No session matches.').waitFor();
    await page.getByLabel('Search sessions').fill('');
    await expect.poll(() => page.locator('button.session-open').count()).toBe(2);

    // Keyboard only: focus the session, open it with Enter.
    await sessionButton('agent:main:main').focus();
    await page.keyboard.press('Enter');
    const details = page.locator('#session-details');
    await details.getByRole('heading', { name: 'Session agent:main:main' }).waitFor();
    expect(await sessionButton('agent:main:main').getAttribute('aria-expanded')).toBe('true');
    await details.locator('.preview-list', { hasText: 'Plan a trip to Lisbon' }).waitFor();
    expect(await details.locator('.preview-list').textContent()).toContain('Noted: planning the trip.');

    const models = await details.getByLabel('Model').locator('option').allTextContents();
    expect(models).toEqual(['Agent default', 'standin/stand-in-1 (Stand-in One)', 'standin/stand-in-2 (Stand-in Two)']);
    await details.getByLabel('Label').fill('Lisbon trip');
    await details.getByLabel('Thinking').selectOption('high');
    await details.getByLabel('Verbose (tool activity)').selectOption('on');
    await details.getByLabel('Reasoning').selectOption('stream');
    await details.getByLabel('Model').selectOption('standin/stand-in-2');
    await details.getByRole('button', { name: 'Save overrides' }).click();
    await details.getByText('Saved: label, thinkingLevel, verboseLevel, reasoningLevel, model.').waitFor();
    expect(await row('agent:main:main')).toMatchObject({ label: 'Lisbon trip', thinkingLevel: 'high', verboseLevel: 'on', reasoningLevel: 'stream', modelOverride: 'standin/stand-in-2' });
    await page.locator('.session-item', { hasText: 'Lisbon trip' }).waitFor();
    await page.getByLabel('Search sessions').fill('lisbon');
    await expect.poll(() => page.locator('button.session-open').count()).toBe(1);
    await page.getByLabel('Search sessions').fill('');

    // The next turn runs on the overridden model.
    model.script = ['On model two.'];
    await chatTurn(client, 'main', 'Which model?');
    expect(model.requests.at(-1)!.body.model).toBe('stand-in-2');
    // The open session's preview follows the new turn (sessions.changed).
    await details.locator('.preview-list', { hasText: 'On model two.' }).waitFor();

    // Back to the defaults: emptied fields are cleared with null.
    await details.getByLabel('Label').fill('');
    await details.getByLabel('Thinking').selectOption('');
    await details.getByLabel('Model').selectOption('');
    await details.getByRole('button', { name: 'Save overrides' }).click();
    await details.getByText('Saved: label, thinkingLevel, model.').waitFor();
    const cleared = await row('agent:main:main');
    expect(cleared?.label).toBeUndefined();
    expect(cleared?.thinkingLevel).toBeUndefined();
    expect(cleared?.modelOverride).toBeUndefined();
    expect(cleared?.verboseLevel).toBe('on');

    // Another client starts a session: the list follows (sessions.subscribe) without a refresh.
    await chatTurn(client, 'ideas', 'Brainstorm names');
    await sessionButton('agent:main:ideas').waitFor();
    await expect.poll(() => page.getByRole('status').filter({ hasText: 'sessions.' }).textContent()).toContain('3 sessions');
    expect(await details.getByRole('heading', { name: 'Session agent:main:main' }).isVisible()).toBe(true);

    expect(await unlabelledControls(page)).toEqual([]);
    await expectNoAxeViolations(page, {}, 'the Sessions view with a session open');
    await page.emulateMedia({ colorScheme: 'dark' });
    await expectNoAxeViolations(page, {}, 'the Sessions view with a session open, dark scheme');
    await page.emulateMedia({ colorScheme: 'light' });
    await screenshot(page, 'sessions-1440');
  });

  it('resets, compacts and deletes sessions, and shows a refused action with its method and message', async () => {
    for (let i = 1; i <= 5; i++) {
      model.script = [`Answer ${i}.`];
      await chatTurn(client, 'research', `Question ${i}`);
    }
    await sessionButton('agent:main:research').click();
    const details = page.locator('#session-details');
    await details.locator('.preview-list', { hasText: 'Answer 5.' }).waitFor();

    // Compact: the stand-in writes the summary; 12 messages, the last 8 kept.
    model.script = ['Tide pools were discussed over five questions.'];
    await details.getByRole('button', { name: 'Compact' }).click();
    await details.getByText('Compacted: 4 messages summarized, 8 kept.').waitFor();
    await details.locator('.preview-list', { hasText: 'Tide pools were discussed over five questions.' }).waitFor();
    const history = await client.call('chat.history', { sessionKey: 'research' });
    expect(history.messages).toHaveLength(9);

    // Reset: a new session id, the preview empties.
    const before = (await row('agent:main:research'))!.sessionId;
    await details.getByRole('button', { name: 'Reset' }).click();
    const said = details.getByText(/^Reset: new session id /);
    await said.waitFor();
    const after = (await row('agent:main:research'))!.sessionId;
    expect(after).not.toBe(before);
    expect(await said.textContent()).toContain(after);
    await details.getByText('No messages yet.').or(details.getByText('This session has no transcript yet.')).waitFor();
    expect((await client.call('chat.history', { sessionKey: 'research' })).messages).toHaveLength(0);

    // Delete, confirmed in place.
    await details.getByRole('button', { name: 'Delete…' }).click();
    await expect.poll(() => page.evaluate(() => document.activeElement?.textContent)).toBe('Delete agent:main:research');
    await details.getByRole('button', { name: 'Delete agent:main:research' }).click();
    await expect.poll(() => sessionButton('agent:main:research').count()).toBe(0);
    expect(await row('agent:main:research')).toBeUndefined();
    expect(await details.isHidden()).toBe(true);
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('sessions-search');

    // The main session cannot be deleted: the gateway's refusal shows where the click was.
    await sessionButton('agent:main:main').click();
    await details.getByRole('heading', { name: 'Session agent:main:main' }).waitFor();
    await details.getByRole('button', { name: 'Delete…' }).click();
    await details.getByRole('button', { name: 'Delete agent:main:main' }).click();
    const alert = details.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toMatch(/^sessions\.delete failed \(INVALID_REQUEST\): .*main session .*cannot be deleted/);
    expect(await row('agent:main:main')).toBeDefined();
    await screenshot(page, 'sessions-refused-1440');

    // Phone width: nothing scrolls sideways, every action still reachable.
    await page.setViewportSize({ width: 390, height: 844 });
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    expect(await details.getByRole('button', { name: 'Save overrides' }).isVisible()).toBe(true);
    await expectNoAxeViolations(page, {}, 'the Sessions view at 390px');
    await screenshot(page, 'sessions-390');
  });
});
