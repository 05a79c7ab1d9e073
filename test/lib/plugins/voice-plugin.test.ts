import { readFile } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FileStorage } from '../../../lib/file-storage.js';
import { voicePlugin } from '../../../lib/plugins/voice-plugin.js';
import type { TtsConfig } from '../../../lib/voice/tts-service.js';
import type { WsPeer } from '../../bin/helpers.js';
import { agentGatewayPerTest, type AgentGateway } from '../../helpers/agent-gateway.js';

const gateways = agentGatewayPerTest({ model: null });
const AUDIO = Buffer.from([0x49, 0x44, 0x33, 0x04, 0x00, 0xff, 0xfb, 0x90, 0x00, 0x01]);

/** A local OpenAI-compatible speech endpoint: records requests, answers audio bytes (or `failWith`). */
class SpeechStandIn {
  readonly requests: Array<{ path: string; headers: IncomingHttpHeaders; body: any }> = [];
  failWith?: number;
  readonly #server: Server;
  baseUrl = '';

  constructor() {
    this.#server = createServer((req, res) => {
      let data = '';
      req.on('data', (c: Buffer) => (data += c.toString('utf8')));
      req.on('end', () => {
        this.requests.push({ path: req.url ?? '', headers: req.headers, body: JSON.parse(data || '{}') });
        if (this.failWith) {
          res.writeHead(this.failWith, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: 'quota exceeded' } }));
          return;
        }
        res.writeHead(200, { 'content-type': 'audio/mpeg' }).end(AUDIO);
      });
    });
  }

  async listen(): Promise<this> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    this.baseUrl = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}/v1`;
    return this;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}

const standIns: SpeechStandIn[] = [];
afterEach(async () => {
  for (const s of standIns.splice(0)) await s.close();
});

interface Setup {
  h: AgentGateway;
  peer: WsPeer;
}

async function start(options: { config?: TtsConfig; env?: Record<string, string>; stateDir?: string } = {}): Promise<Setup> {
  const h = await gateways.start({
    stateDir: options.stateDir,
    plugins: (stateDir) => [
      voicePlugin({
        storage: new FileStorage(stateDir),
        tts: {
          config: options.config,
          env: options.env ?? {},
          prefsStorage: new FileStorage(join(stateDir, 'settings')),
          prefsKey: 'tts.json',
          prefsPath: join(stateDir, 'settings', 'tts.json'),
          audioDir: join(stateDir, 'tts'),
        },
      }),
    ],
  });
  return { h, peer: await h.connect() };
}

async function call(s: Setup, method: string, params: unknown = {}): Promise<any> {
  const res = await s.h.request(s.peer, method, params);
  if (!res.ok) throw new Error(`${method}: ${JSON.stringify(res.error)}`);
  return res.payload;
}

async function refused(s: Setup, method: string, params: unknown): Promise<{ code: string; message: string }> {
  const res = await s.h.request(s.peer, method, params);
  expect(res.ok).toBe(false);
  return res.error;
}

describe('voice settings', () => {
  it('talk.mode answers and broadcasts the mode with its phase', async () => {
    const s = await start();
    const other = await s.h.connect();
    const payload = await call(s, 'talk.mode', { enabled: true, phase: 'listening' });
    expect(payload).toEqual({ enabled: true, phase: 'listening', ts: expect.any(Number) });
    const event = await other.next((f) => f.type === 'event' && f.event === 'talk.mode');
    expect(event.payload).toEqual(payload);
    expect(await call(s, 'talk.mode', { enabled: false })).toMatchObject({ enabled: false, phase: null });
  });

  it('voicewake.set normalizes, persists atomically under the state dir, announces voicewake.changed, and survives a restart', async () => {
    const s = await start();
    expect(await call(s, 'voicewake.get')).toEqual({ triggers: ['openclaw', 'claude', 'computer'] });
    const changed = s.peer.next((f) => f.type === 'event' && f.event === 'voicewake.changed');
    expect(await call(s, 'voicewake.set', { triggers: ['  hey claw ', '', 'jarvis', 'jarvis'] })).toEqual({ triggers: ['hey claw', 'jarvis'] });
    expect((await changed).payload).toEqual({ triggers: ['hey claw', 'jarvis'] });
    const file = JSON.parse(await readFile(join(s.h.stateDir, 'settings', 'voicewake.json'), 'utf8'));
    expect(file).toEqual({ triggers: ['hey claw', 'jarvis'], updatedAtMs: expect.any(Number) });
    expect((await refused(s, 'voicewake.set', { triggers: 'jarvis' })).code).toBe('INVALID_REQUEST');

    const again = await start({ stateDir: s.h.stateDir });
    expect(await call(again, 'voicewake.get')).toEqual({ triggers: ['hey claw', 'jarvis'] });
    // An empty list means the defaults again.
    expect(await call(again, 'voicewake.set', { triggers: [] })).toEqual({ triggers: ['openclaw', 'claude', 'computer'] });
  });

  it('tts.status and tts.providers describe a fresh install; enable, disable and setProvider persist their choice', async () => {
    const s = await start();
    const prefsPath = join(s.h.stateDir, 'settings', 'tts.json');
    expect(await call(s, 'tts.status')).toEqual({
      enabled: false,
      auto: 'off',
      provider: 'edge',
      fallbackProvider: null,
      fallbackProviders: [],
      prefsPath,
      hasOpenAIKey: false,
      hasElevenLabsKey: false,
      edgeEnabled: true,
    });
    const providers = await call(s, 'tts.providers');
    expect(providers.active).toBe('edge');
    expect(providers.providers.map((p: any) => [p.id, p.configured])).toEqual([
      ['openai', false],
      ['elevenlabs', false],
      ['edge', true],
    ]);

    expect(await call(s, 'tts.enable')).toEqual({ enabled: true });
    expect(await call(s, 'tts.setProvider', { provider: 'openai' })).toEqual({ provider: 'openai' });
    expect(await call(s, 'tts.status')).toMatchObject({ enabled: true, auto: 'always', provider: 'openai' });
    expect(JSON.parse(await readFile(prefsPath, 'utf8'))).toEqual({ tts: { auto: 'always', provider: 'openai' } });
    expect((await refused(s, 'tts.setProvider', { provider: 'polly' })).message).toMatch(/Invalid provider/);
    expect(await call(s, 'tts.disable')).toEqual({ enabled: false });
    expect(await call(s, 'tts.status')).toMatchObject({ enabled: false, auto: 'off', provider: 'openai' });
  });

  it('tts.convert speaks through the OpenAI-compatible /v1/audio/speech endpoint and keeps the audio under the state dir', async () => {
    const speech = await new SpeechStandIn().listen();
    standIns.push(speech);
    const s = await start({ env: { OPENAI_API_KEY: 'sk-tts', OPENAI_TTS_BASE_URL: speech.baseUrl }, config: { openai: { voice: 'nova' } } });
    expect(await call(s, 'tts.status')).toMatchObject({ provider: 'openai', hasOpenAIKey: true, fallbackProviders: ['edge'] });

    const result = await call(s, 'tts.convert', { text: 'Hello from the gateway' });
    expect(result).toEqual({ audioPath: expect.stringMatching(/\.mp3$/), provider: 'openai', outputFormat: 'mp3', voiceCompatible: false });
    expect(result.audioPath.startsWith(join(s.h.stateDir, 'tts'))).toBe(true);
    expect(await readFile(result.audioPath)).toEqual(AUDIO);
    expect(speech.requests[0]).toMatchObject({
      path: '/v1/audio/speech',
      headers: { authorization: 'Bearer sk-tts' },
      body: { model: 'gpt-4o-mini-tts', input: 'Hello from the gateway', voice: 'nova', response_format: 'mp3' },
    });

    // A voice note for Telegram is Opus.
    expect(await call(s, 'tts.convert', { text: 'voice note', channel: 'telegram' })).toMatchObject({ outputFormat: 'opus', voiceCompatible: true });

    speech.failWith = 429;
    const error = await refused(s, 'tts.convert', { text: 'again' });
    expect(error.code).toBe('UNAVAILABLE');
    expect(error.message).toMatch(/OpenAI answered 429.*quota exceeded/);
    expect((await refused(s, 'tts.convert', { text: '  ' })).code).toBe('INVALID_REQUEST');
  });

  it('tts.convert without a provider this gateway can drive is UNAVAILABLE', async () => {
    const s = await start();
    const error = await refused(s, 'tts.convert', { text: 'hello' });
    expect(error.code).toBe('UNAVAILABLE');
    expect(error.message).toMatch(/edge.*not supported/);
  });
});
