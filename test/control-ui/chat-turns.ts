import { randomUUID } from 'node:crypto';
import { GatewayClient } from '../../lib/client/index.js';
import type { ChatEventPayload } from '../../lib/protocol/generated/types.js';
import type { UiGateway } from './harness.js';

/** An operator connection from the test process, for making real sessions by chatting. */
export async function operatorClient(gw: UiGateway): Promise<GatewayClient> {
  const client = new GatewayClient({ url: `ws://127.0.0.1:${gw.port}`, token: gw.token, client: { version: '1', platform: 'test' }, reconnect: false });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

/** One chat turn through `chat.send`; resolves with the run's closing `chat` event. */
export async function chatTurn(client: GatewayClient, sessionKey: string, message: string): Promise<ChatEventPayload> {
  const idempotencyKey = randomUUID();
  let off = () => {};
  const ended = new Promise<ChatEventPayload>((resolve) => {
    off = client.on('chat', (payload) => {
      const event = payload as ChatEventPayload;
      if (event.runId === idempotencyKey && event.state !== 'delta') resolve(event);
    });
  });
  try {
    await client.call('chat.send', { sessionKey, message, idempotencyKey });
    return await ended;
  } finally {
    off();
  }
}
