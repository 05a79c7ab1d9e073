import { describe, expect, it } from 'vitest';
import type { MethodContext } from '../../lib/method-context.js';
import { MethodTable } from '../../lib/method-table.js';
import { loadProtocolSchema, validatorFor } from '../../lib/protocol/validate.js';

const ctx = { respond: () => {} } as unknown as MethodContext<unknown>;

// One process (this file) in which nothing has loaded the protocol schema yet.
describe('a declared method called before the protocol schema has loaded', () => {
  it('waits for the schema, then checks its params as it does once the schema is there', async () => {
    expect(() => validatorFor('ConfigSetParams')({})).toThrow('the protocol schema is not loaded');
    const table = new MethodTable();
    table.register('config.set', (params) => ({ got: params }));
    table.registerCustom('own.echo', { params: { type: 'object' }, scope: 'read' }, (params) => params);
    // A custom method needs no protocol schema: its entry is the one registered.
    expect(table.get('own.echo')!.handler({ a: 1 }, ctx)).toEqual({ a: 1 });

    const early = table.get('config.set')!;
    expect(early.scope).toBe('admin');
    const refused = await Promise.resolve(early.handler(early.check({}), ctx)).then(
      () => undefined,
      (err: Error) => err.message,
    );
    expect(refused).toMatch(/^invalid config\.set params: /);

    expect(loadProtocolSchema()).toBeUndefined();
    const entry = table.get('config.set')!;
    expect(() => entry.check({})).toThrow(refused);
    expect(entry.handler(entry.check({ raw: '{}' }), ctx)).toEqual({ got: { raw: '{}' } });
  });
});
