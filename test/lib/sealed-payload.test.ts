import { describe, expect, it } from 'vitest';
import { composePayload, payloadJson, sealPayload } from '../../lib/sealed-payload.js';

describe('sealed payloads', () => {
  it('freezes a sealed value deeply and gives the JSON.stringify text, the same string every time', () => {
    const value = sealPayload({ a: 1, nested: { list: [{ b: 'x"y' }] } });
    expect(Object.isFrozen(value.nested.list[0])).toBe(true);
    expect(() => {
      (value.nested as { list: unknown[] }).list.push(1);
    }).toThrow(TypeError);
    const first = payloadJson(value);
    expect(first).toBe(JSON.stringify(value));
    expect(payloadJson(value)).toBe(first);
  });

  it('serializes a composed object exactly as JSON.stringify would, splicing sealed parts', () => {
    const features = sealPayload({ methods: ['health', 'status'], events: ['tick'] });
    const hello = composePayload({
      type: 'hello-ok',
      skipped: undefined,
      fn: () => 1,
      features,
      snapshot: composePayload({ presence: [{ host: 'h\u2028', ts: 1 }], health: sealPayload({ ok: true }), empty: composePayload({}) }),
      when: new Date(0),
      n: null,
    });
    expect(payloadJson(hello)).toBe(JSON.stringify(hello));
    expect(JSON.parse(payloadJson(hello)!)).toEqual(JSON.parse(JSON.stringify(hello)));
  });

  it('leaves other values to JSON.stringify', () => {
    expect(payloadJson(undefined)).toBeUndefined();
    expect(payloadJson('a')).toBe('"a"');
    expect(payloadJson([1, { a: 2 }])).toBe('[1,{"a":2}]');
  });
});
