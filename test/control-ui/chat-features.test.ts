import type { Page } from 'playwright-core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { GatewayClient } from '../../lib/client/index.js';
import { expectNoAxeViolations } from './axe.js';
import { chatTurn, operatorClient } from './chat-turns.js';
import { HAS_CHROMIUM, SKIP_MESSAGE, screenshot, startUiGateway, tempDir, type UiGateway, unlabelledControls, useBrowser } from './harness.js';
import { HOLD, ModelStandIn } from './model-stand-in.js';

if (!HAS_CHROMIUM) console.warn(SKIP_MESSAGE);

/** A 1×1 PNG. */
const PIXEL = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');

describe.skipIf(!HAS_CHROMIUM)('Control UI in a real browser: chat with tool activity, paging, agents, /new and images', () => {
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
                { id: 'stand-in-1', name: 'Text only', input: ['text'] },
                { id: 'vision-1', name: 'Vision', input: ['text', 'image'] },
              ],
            },
          },
        },
        agents: {
          defaults: { model: 'standin/stand-in-1', workspace: await tempDir('openclaw-ui-workspace-') },
          list: [{ id: 'main', default: true }, { id: 'ops', name: 'Ops', model: 'standin/vision-1' }],
        },
      },
    });
    client = await operatorClient(gw);
    page = await ui.newPage();
  });

  afterEach(async () => {
    client?.close();
    await gw?.stop();
    await model?.close();
  });

  async function openChat(): Promise<void> {
    await page.goto(gw.dashboardUrl);
    await page.getByTestId('connection').filter({ hasText: 'Connected' }).waitFor();
    await page.getByRole('link', { name: 'Chat', exact: true }).click();
    await page.locator('#view[data-view="chat"]').waitFor();
    await page.getByLabel('Session').locator('option').first().waitFor({ state: 'attached' });
  }

  const reply = () => page.locator('.bubble-assistant').last();

  it('streams a reply with the tool it called (arguments, then result) and the rest of the reply', async () => {
    await openChat();
    // Tool events come for verbose sessions: the toggle patches the session.
    await page.getByLabel('Show tool activity').check();
    await page.getByText('Tool activity will show in replies.').waitFor();
    expect((await client.call('sessions.list', {})).sessions.find((s) => s.key === 'agent:main:main')?.verboseLevel).toBe('on');

    model.queue = [['Checking the sessions. ', { toolCall: { name: 'sessions_list', arguments: { limit: 5 } } }], ['There is ', HOLD, 'one session.']];
    await page.getByLabel('Message').fill('How many sessions are there?');
    await page.getByLabel('Message').press('Enter');

    const card = reply().locator('.tool-card[data-tool="sessions_list"]');
    await expect.poll(() => card.getAttribute('data-phase')).toBe('done');
    await card.locator('summary').click();
    expect(await card.locator('.tool-body').textContent()).toContain('"limit": 5');
    expect(await card.locator('.tool-result').textContent()).toContain('agent:main:main');
    // The second model call is held: the reply is still streaming, the tool already done.
    await expect.poll(() => reply().locator('.bubble-text').textContent()).toContain('There is');
    expect(await reply().getAttribute('data-state')).toBe('delta');
    expect(await page.getByRole('button', { name: 'Abort' }).isEnabled()).toBe(true);
    await screenshot(page, 'chat-tool-streaming-1440');

    model.release();
    await expect.poll(() => reply().getAttribute('data-state')).toBe('final');
    expect(await reply().locator('.bubble-text').textContent()).toContain('one session.');
    const toolMessage = model.requests[1]!.body.messages?.find((m) => m.role === 'tool');
    expect(String(toolMessage?.content)).toContain('agent:main:main');

    // After a reload the tool call and its result come back from the history.
    await page.reload();
    await page.locator('.bubble-tool .tool-card[data-tool="sessions_list"]').waitFor();
    expect(await page.locator('.tool-call', { hasText: 'Called sessions_list' }).count()).toBe(1);
    expect(await unlabelledControls(page)).toEqual([]);
    await expectNoAxeViolations(page, {}, 'the Chat view with tool activity');
    await page.emulateMedia({ colorScheme: 'dark' });
    await expectNoAxeViolations(page, {}, 'the Chat view with tool activity, dark scheme');
  });

  it('aborts a reply while a tool-using run streams; the transcript says aborted', async () => {
    await client.call('sessions.patch', { key: 'main', verboseLevel: 'on' });
    await openChat();
    model.queue = [[{ toolCall: { name: 'sessions_list', arguments: {} } }], ['Summing up', HOLD, ' the rest']];
    await page.getByLabel('Message').fill('Go');
    await page.getByRole('button', { name: 'Send' }).click();
    await expect.poll(() => reply().locator('.bubble-text').textContent()).toContain('Summing up');
    expect(await reply().locator('.tool-card').getAttribute('data-phase')).toBe('done');
    await page.getByRole('button', { name: 'Abort' }).click();
    await expect.poll(() => reply().getAttribute('data-state')).toBe('aborted');
    await model.requests[1]!.aborted;
    expect(await reply().locator('.bubble-meta').textContent()).toContain('aborted');
    expect(await reply().locator('.bubble-text').textContent()).not.toContain('the rest');
    expect(await page.getByRole('button', { name: 'Abort' }).isDisabled()).toBe(true);
  });

  it('pages back through a long history, without repeats after new messages arrive', async () => {
    for (let i = 1; i <= 30; i++) {
      model.script = [`Answer ${i}`];
      await chatTurn(client, 'main', `Question ${i}`);
    }
    await openChat();
    const bubbles = page.locator('.transcript > li');
    await expect.poll(() => bubbles.count()).toBe(50);
    expect(await bubbles.first().textContent()).toContain('Question 6');
    const older = page.getByRole('button', { name: 'Load older messages' });
    expect(await older.isVisible()).toBe(true);

    // A turn from elsewhere lands in this session: the next page must still start where this one ends.
    model.script = ['Answer 31'];
    await chatTurn(client, 'main', 'Question 31');
    await expect.poll(() => bubbles.count()).toBe(51);

    await older.click();
    await expect.poll(() => bubbles.count()).toBe(61);
    const texts = (await page.locator('.transcript .bubble-text').allTextContents()).filter((t) => /^(Question|Answer) \d+$/.test(t));
    expect(texts.slice(0, 2)).toEqual(['Question 1', 'Answer 1']);
    expect(new Set(texts).size).toBe(texts.length);
    expect(texts).toContain('Answer 31');
    expect(await older.isHidden()).toBe(true);
    await screenshot(page, 'chat-paged-1440');
  });

  it('picks an agent, attaches an image where its model takes images, and /new starts its session over', async () => {
    await openChat();
    // The default agent's model is text only: no attachments offered.
    expect(await page.getByText('Attach images').isHidden()).toBe(true);
    await page.getByLabel('Agent').selectOption('ops');
    await expect.poll(() => page.getByLabel('Session').inputValue()).toBe('agent:ops:main');
    await page.getByText('Attach images').waitFor();

    await page.getByLabel('Attach images').setInputFiles([
      { name: 'pixel.png', mimeType: 'image/png', buffer: PIXEL },
      { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('not an image') },
    ]);
    await page.getByRole('alert').filter({ hasText: 'Not attached: notes.txt is not an image.' }).waitFor();
    await page.getByRole('listitem').filter({ hasText: 'pixel.png' }).waitFor();
    model.script = ['A single pixel.'];
    await page.getByLabel('Message').fill('What is in this picture?');
    await page.getByLabel('Message').press('Enter');
    await expect.poll(() => reply().getAttribute('data-state')).toBe('final');
    const sent = JSON.stringify(model.requests.at(-1)!.body.messages?.at(-1)?.content);
    expect(sent).toContain('What is in this picture?');
    expect(sent).toContain(`data:image/png;base64,${PIXEL.toString('base64')}`);
    expect(await page.locator('.bubble-user').last().locator('.bubble-meta').textContent()).toContain('1 image');
    expect(await page.getByRole('listitem').filter({ hasText: 'pixel.png' }).count()).toBe(0);
    const before = (await client.call('chat.history', { sessionKey: 'agent:ops:main' })).sessionId;

    model.script = ['Fresh start.'];
    await page.getByRole('button', { name: 'New session' }).click();
    await expect.poll(() => reply().locator('.bubble-text').textContent()).toBe('Fresh start.');
    expect(await page.locator('.transcript .bubble-text', { hasText: 'What is in this picture?' }).count()).toBe(0);
    const after = await client.call('chat.history', { sessionKey: 'agent:ops:main' });
    expect(after.sessionId).not.toBe(before);
    expect(after.messages.map((m) => m.role)).toEqual(['user', 'assistant']);
    await screenshot(page, 'chat-agent-new-1440');

    await page.setViewportSize({ width: 390, height: 844 });
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await expectNoAxeViolations(page, {}, 'the Chat view at 390px');
    await screenshot(page, 'chat-agent-new-390');
  });
});
