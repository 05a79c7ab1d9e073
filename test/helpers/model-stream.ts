import { expect } from 'vitest';
import { GatewayError } from '../../lib/errors.js';
import type { ModelStreamEvent } from '../../lib/providers/model-provider.js';

/** Every event of a provider stream. */
export async function collect(stream: AsyncIterable<ModelStreamEvent>): Promise<ModelStreamEvent[]> {
  const out: ModelStreamEvent[] = [];
  for await (const e of stream) out.push(e);
  return out;
}

/** The GatewayError a provider stream fails with (the test fails if it does not). */
export async function streamFailure(stream: AsyncIterable<ModelStreamEvent>): Promise<GatewayError> {
  try {
    await collect(stream);
  } catch (err) {
    expect(err).toBeInstanceOf(GatewayError);
    return err as GatewayError;
  }
  throw new Error('stream did not fail');
}
