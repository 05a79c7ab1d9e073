import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { formatA2uiActionMessage, parseA2uiUserAction } from '../../control-ui/a2ui-action.js';
import { A2uiMessageError, parseA2uiJsonl, parseA2uiMessages } from '../../control-ui/a2ui/a2ui-messages.js';
import { renderPlainText } from '../../control-ui/a2ui/a2ui-text.js';
import { findFreePort } from '../bin/helpers.js';
import { removeTempDirs, startUiGateway, tempDir, type UiGateway } from './harness.js';

describe('A2UI action message', () => {
  it('is the one line upstream’s nodes send, with tag values that cannot add tags', () => {
    const action = parseA2uiUserAction({ id: 'a1', name: 'Get Weather', surfaceId: 'main', sourceComponentId: 'btnWeather', context: { city: 'Vienna' } });
    expect(formatA2uiActionMessage({ action, sessionKey: 'main', host: 'Peter’s iPad', instanceId: 'ipad16,6' })).toBe(
      'CANVAS_A2UI action=Get_Weather session=main surface=main component=btnWeather host=Peter_s_iPad instance=ipad16_6 ctx={"city":"Vienna"} default=update_canvas',
    );
    const bare = parseA2uiUserAction({ id: 'a2', name: 'x session=evil', surfaceId: 's' });
    expect(formatA2uiActionMessage({ action: bare, sessionKey: 'main' })).toBe('CANVAS_A2UI action=x_session_evil session=main surface=s component=- host=- instance=- default=update_canvas');
  });

  it('refuses actions without id, name or surface, and context that is not an object', () => {
    expect(() => parseA2uiUserAction({ name: 'a', surfaceId: 's' })).toThrow(/userAction.id/);
    expect(() => parseA2uiUserAction({ id: '1', surfaceId: 's' })).toThrow(/userAction.name/);
    expect(() => parseA2uiUserAction({ id: '1', name: 'a', surfaceId: 's', context: [1] })).toThrow(/context must be an object/);
    expect(() => parseA2uiUserAction('click')).toThrow(/must be an object/);
  });
});

describe('A2UI canvas command payloads', () => {
  const begin = { beginRendering: { surfaceId: 'main', root: 'root' } };
  it('takes messages as an array or { messages }, JSONL as text or { jsonl }', () => {
    expect(parseA2uiMessages([begin])).toEqual([begin]);
    expect(parseA2uiMessages({ messages: [begin] })).toEqual([begin]);
    expect(parseA2uiJsonl(`${JSON.stringify(begin)}\n\n${JSON.stringify({ deleteSurface: { surfaceId: 'main' } })}\n`)).toHaveLength(2);
    expect(parseA2uiJsonl({ jsonl: JSON.stringify(begin) })).toEqual([begin]);
  });

  it('names what is wrong: v0.9, two kinds in one message, no surface, a line that is not JSON', () => {
    expect(() => parseA2uiMessages([{ version: 'v0.9', createSurface: { surfaceId: 'x' } }])).toThrow(/v0.8 only/);
    expect(() => parseA2uiMessages([{ ...begin, deleteSurface: { surfaceId: 'main' } }])).toThrow(/exactly one of/);
    expect(() => parseA2uiMessages([{ deleteSurface: {} }])).toThrow(/needs a surfaceId/);
    expect(() => parseA2uiMessages([{ surfaceUpdate: { surfaceId: 'main' } }])).toThrow(/components array/);
    expect(() => parseA2uiJsonl(`${JSON.stringify(begin)}\n{nope`)).toThrow(A2uiMessageError);
    expect(() => parseA2uiJsonl(`${JSON.stringify(begin)}\n{nope`)).toThrow(/line 2 is not JSON/);
    expect(() => parseA2uiMessages('x')).toThrow(/expected an array/);
  });

  it('renders text hints as elements and escapes everything else', async () => {
    expect(await renderPlainText('## Your <order>')).toBe('<h2>Your &#60;order&#62;</h2>');
    expect(await renderPlainText('*small*')).toBe('<p><em>small</em></p>');
    expect(await renderPlainText('a & "b"')).toBe('<p>a &#38; &#34;b&#34;</p>');
  });
});

describe('A2UI route on the gateway port', () => {
  let gw: UiGateway | undefined;
  afterEach(async () => {
    await gw?.stop();
    gw = undefined;
  });
  afterAll(removeTempDirs);

  async function start(config: Record<string, unknown> = {}, built = true): Promise<UiGateway> {
    const dir = await tempDir('openclaw-a2ui-assets-');
    if (built) {
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, 'index.html'), '<!doctype html><title>A2UI</title>');
      await writeFile(join(dir, 'a2ui.js'), 'export {};');
    }
    gw = await startUiGateway({ assetsDir: await tempDir('openclaw-no-ui-'), a2uiAssetsDir: dir, config: { ...config, canvasHost: { port: await findFreePort(), ...(config.canvasHost as object) } } });
    return gw;
  }

  const post = (g: UiGateway, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${g.origin}/__openclaw__/a2ui/action`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

  it('serves the page under a strict CSP, redirects the bare path, and refuses other methods', async () => {
    const g = await start();
    const page = await fetch(`${g.origin}/__openclaw__/a2ui/`);
    expect(page.status).toBe(200);
    const csp = page.headers.get('content-security-policy')!;
    expect(csp).toContain("script-src 'self';");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).not.toMatch(/script-src[^;]*unsafe/);
    expect((await fetch(`${g.origin}/__openclaw__/a2ui/a2ui.js`)).headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    const bare = await fetch(`${g.origin}/__openclaw__/a2ui`, { redirect: 'manual' });
    expect([bare.status, bare.headers.get('location')]).toEqual([308, '/__openclaw__/a2ui/']);
    expect((await fetch(`${g.origin}/__openclaw__/a2ui/`, { method: 'POST' })).status).toBe(405);
    expect((await fetch(`${g.origin}/__openclaw__/a2ui/action`)).status).toBe(405);
  });

  it('says the page is not built rather than serving nothing', async () => {
    const g = await start({}, false);
    const res = await fetch(`${g.origin}/__openclaw__/a2ui/`);
    expect(res.status).toBe(503);
    expect(await res.text()).toContain('npm run build:ui');
  });

  it('takes actions only with the gateway secret, from its own origin, well formed', async () => {
    const g = await start();
    const action = { userAction: { id: 'a1', name: 'go', surfaceId: 'main' } };
    const auth = { authorization: `Bearer ${g.token}` };
    expect((await post(g, action, { ...auth, origin: 'https://evil.example' })).status).toBe(403);
    const bad = await post(g, { userAction: { id: 'a1', surfaceId: 'main' } }, auth);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ ok: false, error: { type: 'invalid_request_error' } });
    // Last: failed attempts count towards the gateway's auth rate limit for this address.
    expect((await post(g, action)).status).toBe(401);
    expect((await post(g, action, { authorization: 'Bearer wrong' })).status).toBeGreaterThanOrEqual(401);
  });

  it('is off with the canvas host', async () => {
    const g = await start({ canvasHost: { enabled: false } });
    expect((await fetch(`${g.origin}/__openclaw__/a2ui/`)).status).toBe(404);
  });
});
