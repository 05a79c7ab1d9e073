import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { loadCliContext } from '../../bin/cli-context.js';
import { a2uiRuntimePlugin } from '../../runtime/a2ui-runtime-plugin.js';
import { canvasHostRuntimePlugin } from '../../runtime/canvas-host-runtime-plugin.js';
import type { ChannelsRuntimePluginOptions } from '../../runtime/channels-runtime-plugin.js';
import { controlUiRuntimePlugin } from '../../runtime/control-ui-runtime-plugin.js';
import { GatewayRuntime } from '../../runtime/gateway-runtime.js';
import { runtimePlugins } from '../../runtime/runtime-plugins.js';
import { buildControlUi } from '../../scripts/build-ui.js';
import { TOKEN } from '../helpers/connect.js';

/** Browser tests drive Debian's chromium; `.ci/run` installs it, elsewhere they skip. */
export const CHROMIUM_PATH = '/usr/bin/chromium';
export const HAS_CHROMIUM = existsSync(CHROMIUM_PATH);
export const SKIP_MESSAGE = `Control UI browser tests skipped: ${CHROMIUM_PATH} is missing (apt-get install -y chromium, as .ci/run does)`;

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const ARTIFACTS_DIR = join(REPO, 'test/artifacts/control-ui');

const temps: string[] = [];

export async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  temps.push(dir);
  return dir;
}

export async function removeTempDirs(): Promise<void> {
  await Promise.all(temps.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
}

/** Builds the app from the current source into a temp dir, so test files never race on dist/. */
export async function buildAssets(): Promise<string> {
  const dir = await tempDir('openclaw-ui-');
  const { outDir } = await buildControlUi({ outDir: join(dir, 'control-ui') });
  return outDir;
}

export function launchBrowser(extraArgs: string[] = []): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      ...extraArgs,
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

export interface BrowserSuite {
  /** The app built once for this test file. */
  readonly assetsDir: string;
  readonly browser: Browser;
  /** A page in a fresh browser context, closed after the test. */
  newPage(viewport?: { width: number; height: number }): Promise<Page>;
}

/**
 * One browser and one build of the app per test file: registers the hooks that start and stop
 * them, and closes every context a test opened.
 */
export function useBrowser(extraArgs: string[] = []): BrowserSuite {
  let assetsDir = '';
  let browser: Browser | undefined;
  const contexts: BrowserContext[] = [];
  beforeAll(async () => {
    assetsDir = await buildAssets();
    browser = await launchBrowser(extraArgs);
  });
  afterAll(async () => {
    await browser?.close();
    await removeTempDirs();
  });
  afterEach(async () => {
    await Promise.all(contexts.splice(0).map((context) => context.close()));
  });
  return {
    get assetsDir() {
      return assetsDir;
    },
    get browser() {
      return browser!;
    },
    async newPage(viewport = { width: 1440, height: 900 }) {
      const context = await browser!.newContext({ viewport });
      contexts.push(context);
      return context.newPage();
    },
  };
}

export interface UiGateway {
  runtime: GatewayRuntime;
  port: number;
  origin: string;
  token: string;
  /**
   * The link the gateway printed at start, with the harness's token added in the fragment: the
   * gateway prints a token only on the start that generated it, and this one is configured.
   */
  dashboardUrl: string;
  stateDir: string;
  configPath: string;
  /** Everything the runtime printed (human output + console log lines). */
  out: string[];
  stop(): Promise<void>;
}

export interface UiGatewayOptions {
  assetsDir: string;
  /** Merged into the config file under the minimal local gateway config. */
  config?: Record<string, unknown>;
  /** Default 0: any free port. */
  port?: number;
  /** A build of the A2UI page, served on the gateway port and the canvas host instead of dist/a2ui. */
  a2uiAssetsDir?: string;
  /** Channel kinds with injected parts, e.g. WhatsApp over a fake Baileys socket. */
  channels?: ChannelsRuntimePluginOptions;
  /** More environment for the runtime (PATH for skill installers and binaries). */
  env?: Record<string, string>;
}

/** A full `openclaw gateway` runtime, in process, on 127.0.0.1:0 with temp state and file log. */
export async function startUiGateway(options: UiGatewayOptions): Promise<UiGateway> {
  const home = await tempDir('openclaw-ui-home-');
  const stateDir = join(home, 'state');
  await mkdir(stateDir, { recursive: true });
  const configPath = join(stateDir, 'openclaw.json');
  const base = { gateway: { mode: 'local', auth: { token: TOKEN } } };
  const config = merge(base, options.config ?? {});
  await writeFile(configPath, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  const env = { HOME: home, OPENCLAW_STATE_DIR: stateDir, OPENCLAW_CONFIG_PATH: configPath, NO_COLOR: '1', ...options.env };
  const ctx = await loadCliContext({}, env);
  const out: string[] = [];
  const a2ui = options.a2uiAssetsDir;
  const plugins = runtimePlugins({ channels: options.channels }).map((p) => {
    if (p.name === 'control-ui') return controlUiRuntimePlugin({ assetsDir: options.assetsDir });
    if (a2ui && p.name === 'a2ui') return a2uiRuntimePlugin({ assetsDir: a2ui });
    if (a2ui && p.name === 'canvas-host') return canvasHostRuntimePlugin({ a2uiAssetsDir: a2ui });
    return p;
  });
  const runtime = new GatewayRuntime({ environment: ctx, overrides: { port: String(options.port ?? 0) }, out: (line) => out.push(line), plugins, logDir: join(home, 'logs') });
  await runtime.start();
  const dashboard = out.find((line) => line.startsWith('Dashboard: '));
  if (!dashboard) throw new Error(`the gateway printed no dashboard link:\n${out.join('\n')}`);
  const port = runtime.port;
  return {
    runtime,
    port,
    origin: `http://127.0.0.1:${port}`,
    token: TOKEN,
    dashboardUrl: `${dashboard.slice('Dashboard: '.length)}#token=${encodeURIComponent(TOKEN)}`,
    stateDir,
    configPath,
    out,
    stop: () => runtime.stop(),
  };
}

/** A new page on the dashboard link the gateway printed, once it shows Connected. */
export async function openDashboard(ui: BrowserSuite, gw: UiGateway, options: { timeoutMs?: number } = {}): Promise<Page> {
  const page = await ui.newPage();
  if (options.timeoutMs !== undefined) page.setDefaultTimeout(options.timeoutMs);
  await page.goto(gw.dashboardUrl);
  await page.getByTestId('connection').filter({ hasText: 'Connected' }).waitFor();
  return page;
}

export async function screenshot(page: Page, name: string): Promise<void> {
  await mkdir(ARTIFACTS_DIR, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS_DIR, `${name}.png`), fullPage: true });
}

/** Every form control and button without an accessible name (label, aria-label, text). */
export function unlabelledControls(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const problems: string[] = [];
    for (const el of Array.from(document.querySelectorAll('input, select, textarea, button'))) {
      if ((el as HTMLElement).closest('[hidden]')) continue;
      const labelled =
        (el as HTMLInputElement).labels?.length ||
        el.getAttribute('aria-label') ||
        el.getAttribute('aria-labelledby') ||
        (el.tagName === 'BUTTON' && el.textContent?.trim());
      if (!labelled) problems.push(el.outerHTML.slice(0, 120));
    }
    return problems;
  });
}

function merge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const prev = out[k];
    out[k] =
      typeof v === 'object' && v !== null && !Array.isArray(v) && typeof prev === 'object' && prev !== null && !Array.isArray(prev)
        ? merge(prev as Record<string, unknown>, v as Record<string, unknown>)
        : v;
  }
  return out;
}
