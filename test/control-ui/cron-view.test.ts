import type { Page } from 'playwright-core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { GatewayClient } from '../../lib/client/index.js';
import { expectNoAxeViolations } from './axe.js';
import { operatorClient } from './chat-turns.js';
import { HAS_CHROMIUM, SKIP_MESSAGE, openDashboard, screenshot, startUiGateway, unlabelledControls, type UiGateway, useBrowser } from './harness.js';
import { ModelStandIn } from './model-stand-in.js';

if (!HAS_CHROMIUM) console.warn(SKIP_MESSAGE);

describe.skipIf(!HAS_CHROMIUM)('Control UI Cron view in a real browser', () => {
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
        models: { providers: { local: { baseUrl: model.baseUrl, api: 'openai-completions', models: [{ id: 'demo', name: 'Demo' }] } } },
        agents: { defaults: { model: 'local/demo' } },
      },
    });
    client = await operatorClient(gw);
    page = await openDashboard(ui, gw, { timeoutMs: 10_000 });
  });

  afterEach(async () => {
    await client?.close();
    await gw?.stop();
    await model?.close();
  });

  it('adds a job with a checked, previewed schedule, edits it, runs it, shows its run log and removes it', async () => {
    await page.getByRole('link', { name: 'Cron jobs' }).click();
    await page.getByText('No cron jobs yet.').waitFor();
    await page.getByRole('button', { name: 'Add job' }).click();
    const form = page.getByRole('form', { name: 'New cron job' });
    await expect.poll(() => page.evaluate(() => document.activeElement?.getAttribute('name'))).toBe('name');

    // A schedule that cannot run is refused in the page, and the form keeps what was typed.
    await form.getByLabel('Name').fill('Morning brief');
    await form.getByLabel('Cron expression').fill('61 * * * *');
    await form.getByTestId('schedule-error').waitFor();
    expect(await form.getByLabel('Cron expression').getAttribute('aria-invalid')).toBe('true');
    await form.getByLabel('System event text').fill('Summarize the inbox');
    await form.getByRole('button', { name: 'Add job' }).click();
    await form.getByRole('alert').filter({ hasText: 'Fix the schedule first' }).waitFor();
    expect((await client.call('cron.list', {})).jobs).toEqual([]);

    // A good one: the next five runs as the gateway computes them, in UTC.
    await form.getByLabel('Cron expression').fill('30 7 * * 1-5');
    await form.getByLabel('Time zone (IANA)').fill('UTC');
    const preview = form.getByTestId('schedule-preview');
    await expect.poll(() => preview.locator('li').count()).toBe(5);
    expect(await form.getByLabel('Cron expression').getAttribute('aria-invalid')).toBeNull();
    await screenshot(page, 'cron-form-1440');
    expect(await unlabelledControls(page)).toEqual([]);
    await expectNoAxeViolations(page, {}, 'cron form');
    await form.getByRole('button', { name: 'Add job' }).click();
    const row = page.getByTestId('cron-jobs').locator('tr', { hasText: 'Morning brief' });
    await row.waitFor();
    const [job] = (await client.call('cron.list', {})).jobs;
    expect(job).toMatchObject({ name: 'Morning brief', enabled: true, schedule: { kind: 'cron', expr: '30 7 * * 1-5', tz: 'UTC' }, sessionTarget: 'main', payload: { kind: 'systemEvent', text: 'Summarize the inbox' } });
    const nextRun = new Date(job!.state.nextRunAtMs!);
    expect([nextRun.getUTCHours(), nextRun.getUTCMinutes()]).toEqual([7, 30]);
    expect(await row.innerText()).toContain('cron 30 7 * * 1-5 (UTC)');

    // Edit: an interval now, previewed from the job's creation.
    await row.getByRole('button', { name: 'Edit Morning brief' }).click();
    const edit = page.getByRole('form', { name: 'Edit Morning brief' });
    await edit.getByLabel('Kind').selectOption('every');
    await edit.getByLabel('Every').fill('2');
    await edit.getByLabel('Interval unit').selectOption('hours');
    await expect.poll(() => edit.getByTestId('schedule-preview').locator('li').count()).toBe(5);
    await edit.getByRole('button', { name: 'Save changes' }).click();
    await expect.poll(async () => (await client.call('cron.list', {})).jobs[0]?.schedule).toEqual({ kind: 'every', everyMs: 7_200_000 });
    await row.filter({ hasText: 'every 2 hours' }).waitFor();

    // Run now, then its log.
    await row.getByRole('button', { name: 'Run now Morning brief' }).click();
    await page.getByRole('status').filter({ hasText: 'Ran Morning brief.' }).waitFor();
    const runs = page.getByRole('region', { name: 'Run log: Morning brief' });
    await expect.poll(() => runs.locator('tbody tr').count()).toBeGreaterThan(0);
    expect(await runs.locator('tbody tr').first().innerText()).toMatch(/ok|error|skipped/);
    await screenshot(page, 'cron-runs-1440');

    // A call the gateway refuses is shown where it was made, with the method and the message.
    await client.call('cron.remove', { id: job!.id });
    await row.getByRole('button', { name: 'Run now Morning brief' }).click();
    const refusal = page.locator('[data-method="cron.run"]');
    await refusal.waitFor();
    expect(await refusal.innerText()).toMatch(/^cron\.run failed \(\w+\): .+/);

    // Remove asks once more, in place; keyboard only.
    await client.call('cron.add', { name: 'Nightly', schedule: { kind: 'every', everyMs: 86_400_000 }, sessionTarget: 'main', wakeMode: 'next-heartbeat', payload: { kind: 'systemEvent', text: 'n' } });
    const nightly = page.getByTestId('cron-jobs').locator('tr', { hasText: 'Nightly' });
    await nightly.waitFor(); // the cron event refreshed the list
    await nightly.getByRole('button', { name: 'Remove Nightly' }).focus();
    await page.keyboard.press('Enter');
    await nightly.getByRole('button', { name: 'Confirm removing Nightly' }).waitFor();
    expect((await client.call('cron.list', {})).jobs).toHaveLength(1);
    await page.keyboard.press('Enter');
    await page.getByText('No cron jobs yet.').waitFor();
    expect((await client.call('cron.list', {})).jobs).toEqual([]);
    await expectNoAxeViolations(page, {}, 'cron view');
    await page.setViewportSize({ width: 375, height: 800 });
    await screenshot(page, 'cron-375');
  }, 120_000);

  it('adds a one-shot agent turn with delivery, checks time zones, and keeps the form when the gateway refuses a save', async () => {
    await page.getByRole('link', { name: 'Cron jobs' }).click();
    await page.getByRole('button', { name: 'Add job' }).click();
    const form = page.getByRole('form', { name: 'New cron job' });
    await form.getByLabel('Name').fill('Reminder');

    await form.getByLabel('Time zone (IANA)').fill('Mars/Olympus_Mons');
    await form.getByTestId('schedule-error').waitFor();
    expect(await form.getByLabel('Time zone (IANA)').getAttribute('aria-invalid')).toBe('true');
    await form.getByLabel('Time zone (IANA)').fill('Asia/Tokyo');
    await expect.poll(() => form.getByTestId('schedule-preview').innerText()).toContain('Asia/Tokyo');

    await form.getByLabel('Kind').selectOption('at');
    await form.getByLabel('Run at (your local time)').fill('2001-01-01T09:00');
    await form.getByTestId('schedule-error').filter({ hasText: 'That time has passed' }).waitFor();
    const at = new Date(Date.now() + 2 * 86_400_000);
    at.setSeconds(0, 0);
    const local = `${at.getFullYear()}-${String(at.getMonth() + 1).padStart(2, '0')}-${String(at.getDate()).padStart(2, '0')}T${String(at.getHours()).padStart(2, '0')}:${String(at.getMinutes()).padStart(2, '0')}`;
    await form.getByLabel('Run at (your local time)').fill(local);
    await expect.poll(() => form.getByTestId('schedule-preview').locator('li').count()).toBe(1);

    await form.getByLabel('Session').selectOption('isolated');
    await form.getByLabel('Message to the agent').fill('Remind me to stretch');
    expect(await form.getByRole('textbox', { name: 'Channel' }).isDisabled()).toBe(true);
    await form.getByLabel('Send the reply to a channel').check();
    await form.getByRole('textbox', { name: 'Channel' }).fill('telegram');
    await form.getByRole('textbox', { name: 'To', exact: true }).fill('12345');
    await form.getByRole('button', { name: 'Add job' }).click();
    await page.getByTestId('cron-jobs').locator('tr', { hasText: 'Reminder' }).waitFor();
    const job = (await client.call('cron.list', {})).jobs.find((j) => j.name === 'Reminder');
    expect(job).toMatchObject({
      name: 'Reminder',
      sessionTarget: 'isolated',
      payload: { kind: 'agentTurn', message: 'Remind me to stretch' },
      delivery: { mode: 'announce', channel: 'telegram', to: '12345' },
      state: { nextRunAtMs: at.getTime() },
    });

    // An edit keeps what the form does not show: the delivery's account and best-effort flag, the turn's model and timeout.
    const hooked = await client.call('cron.add', {
      name: 'Hooked',
      schedule: { kind: 'every', everyMs: 3_600_000 },
      sessionTarget: 'isolated',
      wakeMode: 'now',
      payload: { kind: 'agentTurn', message: 'report', model: 'local/demo', timeoutSeconds: 30 },
      delivery: { mode: 'announce', channel: 'telegram', to: '999', accountId: 'work', bestEffort: true },
    });
    const hookedRow = page.getByTestId('cron-jobs').locator('tr', { hasText: 'Hooked' });
    await hookedRow.getByRole('button', { name: 'Edit Hooked' }).click();
    const editHooked = page.getByRole('form', { name: 'Edit Hooked' });
    await editHooked.getByLabel('Name').fill('Hooked hourly');
    await editHooked.getByRole('button', { name: 'Save changes' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved Hooked hourly.' }).waitFor();
    expect((await client.call('cron.list', {})).jobs.find((j) => j.id === hooked.id)).toMatchObject({
      name: 'Hooked hourly',
      payload: { kind: 'agentTurn', message: 'report', model: 'local/demo', timeoutSeconds: 30 },
      delivery: { mode: 'announce', channel: 'telegram', to: '999', accountId: 'work', bestEffort: true },
    });

    // Removed behind the form's back: the refusal shows under the form, which keeps the edit.
    await page.getByRole('button', { name: 'Edit Reminder' }).click();
    const edit = page.getByRole('form', { name: 'Edit Reminder' });
    await client.call('cron.remove', { id: job!.id });
    await edit.getByLabel('Name').fill('Reminder, renamed');
    await edit.getByRole('button', { name: 'Save changes' }).click();
    const refusal = edit.locator('[data-method="cron.update"]');
    await refusal.waitFor();
    expect(await refusal.innerText()).toMatch(/^cron\.update failed \(\w+\): .+/);
    expect(await edit.getByLabel('Name').inputValue()).toBe('Reminder, renamed');
    await screenshot(page, 'cron-refused-1440');
  }, 120_000);
});
