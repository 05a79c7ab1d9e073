import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { GatewayClient } from '../../lib/client/index.js';
import { expectNoAxeViolations } from './axe.js';
import { operatorClient } from './chat-turns.js';
import { HAS_CHROMIUM, SKIP_MESSAGE, openDashboard, screenshot, startUiGateway, tempDir, unlabelledControls, type UiGateway, useBrowser } from './harness.js';

if (!HAS_CHROMIUM) console.warn(SKIP_MESSAGE);

async function skill(dir: string, folder: string, frontMatter: string): Promise<void> {
  await mkdir(join(dir, folder), { recursive: true });
  await writeFile(join(dir, folder, 'SKILL.md'), `---\n${frontMatter}\n---\nUse it.\n`);
}

/**
 * A stand-in `brew` on the gateway's PATH: `brew install <formula>` waits for a release file (so
 * the page can be looked at mid-install), then drops an executable `<formula>` next to itself;
 * `broken` fails with output on stderr.
 */
async function fakeBrew(binDir: string, releaseFile: string): Promise<void> {
  const script = [
    '#!/bin/sh',
    'if [ "$2" = broken ]; then echo "Error: no formula named broken" >&2; exit 1; fi',
    `while [ ! -f "${releaseFile}" ]; do sleep 0.05; done`,
    `printf '#!/bin/sh\\necho %s\\n' "$2" > "${binDir}/$2"`,
    `/bin/chmod +x "${binDir}/$2"`,
    'echo "installed $2"',
    '',
  ].join('\n');
  await writeFile(join(binDir, 'brew'), script);
  await chmod(join(binDir, 'brew'), 0o755);
}

describe.skipIf(!HAS_CHROMIUM)('Control UI Skills view in a real browser', () => {
  const ui = useBrowser();
  let page: Page;
  let gw: UiGateway;
  let client: GatewayClient;
  let binDir: string;
  let release: string;

  beforeEach(async () => {
    const workspace = await tempDir('openclaw-ui-ws-');
    binDir = await tempDir('openclaw-ui-bin-');
    release = join(await tempDir('openclaw-ui-release-'), 'go');
    await fakeBrew(binDir, release);
    await skill(
      join(workspace, 'skills'),
      'gifgrep',
      'name: gifgrep\ndescription: Search GIFs\nmetadata: {"openclaw":{"emoji":"🎞","primaryEnv":"GIPHY_KEY","requires":{"bins":["gifgrep"],"env":["GIPHY_KEY","GIPHY_REGION"]},"install":[{"id":"brew","kind":"brew","formula":"gifgrep","bins":["gifgrep"],"label":"Install gifgrep (brew)"},{"id":"bad","kind":"brew","formula":"broken","bins":["broken"],"label":"Install broken (brew)"}]}}',
    );
    await skill(join(workspace, 'skills'), 'notes', 'name: notes\ndescription: Keeps notes');
    gw = await startUiGateway({ assetsDir: ui.assetsDir, config: { agents: { defaults: { workspace } } }, env: { PATH: `${binDir}:/usr/bin:/bin` } });
    client = await operatorClient(gw);
    page = await openDashboard(ui, gw, { timeoutMs: 10_000 });
  });

  afterEach(async () => {
    await client?.close();
    await gw?.stop();
  });

  it('shows what each skill needs, installs with progress, shows a failed install with its output, saves a key and disables a skill', async () => {
    await page.getByRole('link', { name: 'Skills' }).click();
    const card = page.getByRole('article', { name: /gifgrep/ });
    await card.waitFor();
    expect(await card.innerText()).toMatch(/needs setup/);
    const requirements = card.getByRole('list', { name: 'Requirements of gifgrep' });
    expect(await requirements.innerText()).toMatch(/Programs: gifgrep missing/);
    expect(await requirements.innerText()).toMatch(/Environment: GIPHY_KEY missing, GIPHY_REGION missing/);
    expect(await unlabelledControls(page)).toEqual([]);
    await expectNoAxeViolations(page, {}, 'skills view');

    // The install is held by the stand-in brew: the card shows it in progress meanwhile.
    await card.getByRole('button', { name: 'Install gifgrep (brew)' }).click();
    await card.getByRole('progressbar', { name: 'Install gifgrep (brew) in progress' }).waitFor();
    expect(await card.getAttribute('aria-busy')).toBe('true');
    expect(await card.getByRole('button', { name: 'Install gifgrep (brew)' }).isDisabled()).toBe(true);
    await screenshot(page, 'skills-installing-1440');
    await writeFile(release, '');
    await card.getByRole('status').filter({ hasText: 'brew install gifgrep' }).waitFor();
    expect(await requirements.innerText()).toMatch(/Programs: gifgrep ok/);
    expect((await client.call('skills.status', {})).skills.find((s) => s.name === 'gifgrep')!.missing.bins).toEqual([]);

    // A failing installer: the method, the message and the installer's stderr, on the card.
    await card.getByRole('button', { name: 'Install broken (brew)' }).click();
    const failure = card.locator('[data-method="skills.install"]');
    await failure.waitFor();
    expect(await failure.innerText()).toMatch(/^skills\.install failed \(UNAVAILABLE\): .*exit code 1/);
    await card.getByText('Output (exit code 1)').click();
    await card.getByText('Error: no formula named broken').waitFor();

    // The primary env's key through skills.update: the skill is ready after.
    await card.getByLabel('API key (GIPHY_KEY)').fill('k-123');
    await card.getByRole('button', { name: 'Save key' }).click();
    await card.getByRole('status').filter({ hasText: 'Saved the key for GIPHY_KEY.' }).waitFor();
    expect(await card.innerText()).toMatch(/needs setup/);
    // Another missing variable, set for this skill only.
    await card.getByLabel('GIPHY_REGION', { exact: true }).fill('eu');
    await card.getByRole('button', { name: 'Set GIPHY_REGION' }).click();
    await card.getByRole('status').filter({ hasText: 'Set GIPHY_REGION.' }).waitFor();
    await expect.poll(() => card.innerText()).toMatch(/ready/);
    expect(await card.getByRole('button', { name: 'Set GIPHY_REGION' }).count()).toBe(0);
    await screenshot(page, 'skills-1440');

    // Disable, from the keyboard.
    await card.getByRole('button', { name: 'Disable gifgrep' }).focus();
    await page.keyboard.press('Enter');
    await card.getByRole('button', { name: 'Enable gifgrep' }).waitFor();
    expect((await client.call('skills.status', {})).skills.find((s) => s.name === 'gifgrep')).toMatchObject({ disabled: true });
    expect(await card.innerText()).toMatch(/disabled/);

    await page.getByLabel('Filter').fill('notes');
    await expect.poll(() => page.getByRole('article').count()).toBe(1);
    await expectNoAxeViolations(page, {}, 'skills view after actions');
    await page.getByLabel('Filter').fill('');
    await page.setViewportSize({ width: 375, height: 800 });
    await screenshot(page, 'skills-375');
  }, 120_000);
});
