import { describe, expect, it } from 'vitest';
import { streamProviderEvents } from '../../../lib/providers/provider-stream.js';
import type { SseEvent } from '../../../lib/providers/sse-parser.js';

/** A fetch that answers with a stream of the given byte chunks, then `pull` for more if given. */
function fetchBytes(chunks: Uint8Array[], pull?: () => Uint8Array | undefined): typeof fetch {
  return async () => {
    let i = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        const next = i < chunks.length ? chunks[i++] : pull?.();
        if (next) controller.enqueue(next);
        else controller.close();
      },
    });
    return new Response(body, { headers: { 'content-type': 'text/event-stream' } });
  };
}

async function events(fetchFn: typeof fetch): Promise<SseEvent[]> {
  const out: SseEvent[] = [];
  for await (const event of streamProviderEvents({ provider: 'p', url: 'http://127.0.0.1:9/x', headers: {}, body: {} }, { fetch: fetchFn })) out.push(event);
  return out;
}

describe('streamProviderEvents', () => {
  it('decodes events whose bytes are split anywhere, also inside a multi-byte character', async () => {
    const bytes = new TextEncoder().encode('event: delta\r\ndata: {"t":"héllo 🌍"}\r\ndata: ✓\r\n\r\n: keep-alive\n\ndata: 2\n\n');
    const whole = await events(fetchBytes([bytes]));
    expect(whole).toEqual([
      { event: 'delta', data: '{"t":"héllo 🌍"}\n✓' },
      { event: 'message', data: '2' },
    ]);
    for (let i = 1; i < bytes.length; i++) {
      expect(await events(fetchBytes([bytes.slice(0, i), bytes.slice(i)])), `split at byte ${i}`).toEqual(whole);
    }
    expect(await events(fetchBytes([...bytes].map((b) => Uint8Array.of(b))))).toEqual(whole);
  });

  it('fails an endless event with a clear error instead of buffering it', async () => {
    const block = new TextEncoder().encode('a'.repeat(64 * 1024));
    let pulled = 0;
    const endless = fetchBytes([new TextEncoder().encode('data: ')], () => {
      pulled++;
      return block;
    });
    await expect(events(endless)).rejects.toThrow('server-sent event larger than 8388608 characters');
    expect(pulled).toBeLessThanOrEqual(130);
  });
});
