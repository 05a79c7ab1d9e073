/**
 * A child process for the kill -9 suite: performs one kind of durable write in a loop through the
 * production classes, over the state dir in argv[2], and prints `ack <value>` on stdout once each
 * write has been acknowledged (its promise resolved). The parent kills it at a random moment and
 * checks that everything acknowledged survived.
 */
import { join } from 'node:path';
import { writeConfigFile } from '../../lib/config/write-config.js';
import { DevicePairingStore } from '../../lib/device-pairing-store.js';
import { FileStorage } from '../../lib/file-storage.js';
import { RecordOutboxStore } from '../../lib/channels/outbox-store.js';
import { SessionStore } from '../../lib/sessions/session-store.js';

export type WriteKind = 'pairing' | 'device-tokens' | 'sessions-index' | 'transcripts' | 'config' | 'outbox';

const [stateDir, kind] = process.argv.slice(2) as [string, WriteKind];
const storage = new FileStorage(stateDir);
const ack = (value: string | number) => process.stdout.write(`ack ${value}\n`);
// Bulk makes each write long enough that a random kill often lands inside one.
const bulk = 'x'.repeat(4096);

async function run(): Promise<void> {
  if (kind === 'pairing' || kind === 'device-tokens') {
    const devices = new DevicePairingStore({ storage, now: Date.now });
    await devices.load();
    for (let i = 0; ; i++) {
      const deviceId = `device-${i}`;
      if (kind === 'pairing') {
        const { request } = await devices.requestPairing({ deviceId, publicKey: bulk, displayName: `d${i}`, platform: 'linux', role: 'operator', roles: ['operator'], scopes: ['operator.read'], silent: true });
        await devices.approve(request.requestId);
        ack(deviceId);
      } else {
        if (i === 0) {
          const { request } = await devices.requestPairing({ deviceId: 'dev', publicKey: bulk, role: 'operator', roles: ['operator'], scopes: ['operator.read'], silent: true });
          await devices.approve(request.requestId);
        }
        const token = await devices.rotate('dev', 'operator');
        ack(token.token);
      }
    }
  }
  if (kind === 'sessions-index' || kind === 'transcripts') {
    const sessions = new SessionStore({ storage });
    await sessions.load('main');
    const steady = await sessions.ensure('main', 'agent:main:steady');
    for (let i = 0; ; i++) {
      if (kind === 'sessions-index') {
        // A new addressable session is on disk before ensure() resolves.
        await sessions.ensure('main', `agent:main:user-${i}`, { label: `${i} ${bulk.slice(0, 512)}` });
        ack(`agent:main:user-${i}`);
      } else {
        await sessions.append('main', 'agent:main:steady', steady, { role: 'user', content: `message ${i} ${bulk}`, timestamp: Date.now() });
        ack(`message ${i}`);
      }
    }
  }
  if (kind === 'config') {
    const path = join(stateDir, 'openclaw.json');
    for (let i = 0; ; i++) {
      await writeConfigFile(path, { gateway: { mode: 'local', auth: { token: `token-${i}` } }, meta: { lastTouchedVersion: `${i}` }, ui: { assistant: { name: bulk.slice(0, 2048) } } });
      ack(`token-${i}`);
    }
  }
  if (kind === 'outbox') {
    const outbox = new RecordOutboxStore({ storage, maxSettled: 50 });
    for (let i = 0; ; i++) {
      // Enqueued sends must survive; settled ones are compacted away once there are many.
      const key = `send:${i}`;
      await outbox.enqueue({ key, runId: key, channel: 'telegram', message: { to: '42', text: `reply ${i} ${bulk}` }, queued: true });
      if (i % 2 === 0) await outbox.markDelivered(key, { runId: key, messageId: `m${i}`, channel: 'telegram' });
      ack(i % 2 === 0 ? `delivered ${key}` : `pending ${key}`);
    }
  }
  throw new Error(`unknown write kind ${kind}`);
}

run().catch((err: unknown) => {
  process.stderr.write(`durable-writer: ${(err as Error).stack}\n`);
  process.exit(1);
});
