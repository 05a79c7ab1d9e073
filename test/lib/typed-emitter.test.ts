import { describe, expect, it } from 'vitest';
import { TypedEmitter } from '../../lib/typed-emitter.js';

describe('TypedEmitter.emitAsync', () => {
  it('resolves once every promise the listeners returned settled; failures go to onListenerError', async () => {
    const errors: unknown[] = [];
    const emitter = new TypedEmitter<{ msg: string }>((err) => errors.push(err));
    const order: string[] = [];
    let release!: () => void;
    // Returns a number, as listeners typed `void` may: only promises are waited for.
    emitter.on('msg', (m) => order.push(`sync ${m}`) as unknown as void);
    emitter.on('msg', () => new Promise<void>((resolve) => (release = resolve)).then(() => void order.push('slow done')));
    emitter.on('msg', () => Promise.reject(new Error('nope')));
    emitter.on('msg', () => {
      throw new Error('thrown');
    });
    const done = emitter.emitAsync('msg', 'a').then(() => order.push('emitted'));
    await new Promise((r) => setTimeout(r, 10));
    expect(order).toEqual(['sync a']);
    release();
    await done;
    expect(order).toEqual(['sync a', 'slow done', 'emitted']);
    expect(errors.map((e) => (e as Error).message).sort()).toEqual(['nope', 'thrown']);
  });
});
