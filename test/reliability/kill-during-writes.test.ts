import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config/index.js';
import { DevicePairingStore } from '../../lib/device-pairing-store.js';
import { FileStorage, removeStaleTempFiles } from '../../lib/file-storage.js';
import { RecordOutboxStore } from '../../lib/channels/outbox-store.js';
import { SessionStore } from '../../lib/sessions/session-store.js';
import type { WriteKind } from './durable-writer.js';

const WRITER = fileURLToPath(new URL('./durable-writer.ts', import.meta.url));
const ROUNDS = 3;
const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

/**
 * Runs the writer until it has acknowledged a few writes plus a random extra moment, then kills it
 * with SIGKILL (no handler runs). Returns what it acknowledged.
 */
async function writeThenKill(stateDir: string, kind: WriteKind, round: number): Promise<string[]> {
  const child = spawn(process.execPath, ['--import', 'tsx', WRITER, stateDir, kind], { stdio: ['ignore', 'pipe', 'pipe'] });
  const acked: string[] = [];
  let stderr = '';
  let buffered = '';
  const minAcks = 3 + round * 5;
  const killed = new Promise<void>((resolve, reject) => {
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) if (line.startsWith('ack ')) acked.push(line.slice(4));
      if (acked.length >= minAcks && child.exitCode === null && !child.killed) {
        // A random moment inside the next writes.
        setTimeout(() => child.kill('SIGKILL'), Math.random() * 30);
      }
    });
    child.on('exit', (code, signal) => (signal === 'SIGKILL' ? resolve() : reject(new Error(`writer exited ${code}: ${stderr}`))));
  });
  await killed;
  return acked;
}

/** Every `.json` file under the state dir parses (`.jsonl` transcripts are checked by their loader). */
async function expectReadable(stateDir: string): Promise<void> {
  const entries = await readdir(stateDir, { recursive: true, withFileTypes: true });
  for (const entry of entries) {
    if (!entry.isFile() || !entry.name.endsWith('.json')) continue;
    const path = join(entry.parentPath, entry.name);
    const text = await readFile(path, 'utf8');
    expect(() => JSON.parse(text), path).not.toThrow();
  }
}

describe('kill -9 during durable writes', () => {
  it.each<WriteKind>(['pairing', 'device-tokens', 'sessions-index', 'transcripts', 'config', 'outbox'])(
    '%s: every file is readable after a restart and nothing acknowledged is missing',
    async (kind) => {
      const stateDir = await mkdtemp(join(tmpdir(), `openclaw-kill-${kind}-`));
      dirs.push(stateDir);
      const all: string[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        // Each round starts where the killed one left off, as a restarted gateway would.
        all.push(...(await writeThenKill(stateDir, kind, round)));
        await expectReadable(stateDir);
        const storage = new FileStorage(stateDir);
        if (kind === 'pairing' || kind === 'device-tokens') {
          const devices = new DevicePairingStore({ storage, now: Date.now });
          await devices.load();
          if (kind === 'pairing') {
            const paired = new Set(devices.listPaired().map((d) => d.deviceId));
            for (const id of all) expect(paired.has(id), `${id} was acknowledged as paired`).toBe(true);
          } else {
            // The last acknowledged rotation (or a later one that completed) is the valid token.
            const last = all.at(-1)!;
            const current = devices.getPaired('dev')!.tokens.operator!.token;
            expect(devices.verifyToken('dev', 'operator', current, ['operator.read'])).toBe(true);
            if (current !== last) expect(all).not.toContain(current);
          }
        } else if (kind === 'sessions-index' || kind === 'transcripts') {
          const sessions = new SessionStore({ storage });
          await sessions.load('main');
          if (kind === 'sessions-index') {
            for (const key of all) expect(sessions.peek('main', key), `${key} was acknowledged`).toBeDefined();
          } else {
            const entry = sessions.peek('main', 'agent:main:steady')!;
            const texts = new Set((await sessions.messages('main', entry)).map((l) => String(l.message.content).split(' ').slice(0, 2).join(' ')));
            for (const text of all) expect(texts.has(text), `${text} was acknowledged`).toBe(true);
          }
          await sessions.close();
        } else if (kind === 'outbox') {
          const outbox = new RecordOutboxStore({ storage, maxSettled: 50 });
          const pending = new Set((await outbox.pending()).map((e) => e.key));
          for (const acked of all) {
            const [state, key] = acked.split(' ') as ['delivered' | 'pending', string];
            // A pending send is still there to retry; a delivered one is remembered (or compacted away, never retried).
            if (state === 'pending') expect(pending.has(key), `${key} was acknowledged as queued`).toBe(true);
            else expect(pending.has(key), `${key} was acknowledged as delivered`).toBe(false);
          }
        } else {
          const loaded = await loadConfig({ path: join(stateDir, 'openclaw.json'), env: {} });
          const token = String((loaded.config.gateway?.auth as { token?: string }).token);
          const index = (t: string) => Number(t.split('-')[1]);
          expect(index(token)).toBeGreaterThanOrEqual(index(all.at(-1)!));
        }
      }
      // Whatever temp copies the kills left are swept at the next start, and only those.
      await removeStaleTempFiles(stateDir, { olderThanMs: 0 });
      const leftovers = (await readdir(stateDir, { recursive: true })).filter((name) => String(name).endsWith('.tmp'));
      expect(leftovers).toEqual([]);
    },
    60_000,
  );
});
