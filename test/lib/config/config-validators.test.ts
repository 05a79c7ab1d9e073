import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Ajv, type ErrorObject } from 'ajv';
import fc from 'fast-check';
import JSON5 from 'json5';
import { describe, expect, it } from 'vitest';
import { configErrors } from '../../../lib/config/config-validators.js';
import { validateConfig } from '../../../lib/config/load-config.js';
import { configSchema } from '../../../lib/protocol/generated/config-schema.js';

// What one validator compiled from the whole schema reports, as the config validator was before it
// was split into a module per section.
const whole = new Ajv({ allErrors: true, strict: false }).compile(configSchema);
const expected = (value: unknown) => (whole(value) ? [] : errorsOf(whole.errors!));
const actual = async (value: unknown) => errorsOf(await configErrors(value));

function errorsOf(errors: ErrorObject[]) {
  return errors.map(({ instancePath, keyword, params, message }) => ({ instancePath, keyword, params, message }));
}

const fixtures = ['today.json5', 'old-dialect.json5', 'seed-onboard.json5'];
const fixture = async (name: string) => JSON5.parse(await readFile(join(import.meta.dirname, 'fixtures', name), 'utf8')) as Record<string, unknown>;

/** The fixture with one value replaced, or one unknown key added, at every path it has. */
function* mutations(value: unknown, replace: (v: unknown) => unknown = (v) => v): Generator<unknown> {
  for (const wrong of [{}, [], 'x', 1.5, -1, null, true]) yield replace(wrong);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) yield* mutations(value[i], (v) => replace(value.map((item, j) => (j === i ? v : item))));
  } else if (value !== null && typeof value === 'object') {
    yield replace({ ...value, zzTypo: 1 });
    for (const key of Object.keys(value)) yield* mutations((value as Record<string, unknown>)[key], (v) => replace({ ...value, [key]: v }));
  }
}

describe('the config validators, a module per section', () => {
  it('report the same errors, in the same order, as one validator of the whole schema: for the fixtures and every one-value change to them', async () => {
    let cases = 0;
    for (const name of fixtures) {
      for (const value of mutations(await fixture(name))) {
        expect(await actual(value), JSON.stringify(value)).toEqual(expected(value));
        cases++;
      }
    }
    expect(cases).toBeGreaterThan(1000);
  });

  it('report the same errors for arbitrary values in every section', async () => {
    const names = [...Object.keys(configSchema.properties), 'typo'];
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.dictionary(fc.constantFrom(...names), fc.anything()), fc.anything()), async (value) => {
        expect(await actual(value)).toEqual(expected(value));
      }),
      { numRuns: 500 },
    );
  });

  it('give a config with an invalid key in one section exactly the issues it had before the split', async () => {
    expect(await validateConfig({ gateway: { mode: 'local', auth: { mode: 'token', tokn: 'x' } } })).toEqual({
      ok: false,
      issues: [{ path: 'gateway.auth.tokn', message: 'unknown key' }],
    });
    const many = { gateway: { port: 0, bind: 'moon', auth: { mode: 'tokn' } }, channels: { telegram: { dmPolicy: 'whoever', bogus: 1 } }, agents: { list: [{ id: 3 }] }, meta: 'x', cron: { enabled: 'yes' }, typo: {} };
    expect(await validateConfig(many)).toEqual({
      ok: false,
      issues: [
        { path: 'agents.list.0.id', message: 'must be string' },
        { path: 'channels.telegram.bogus', message: 'unknown key' },
        { path: 'channels.telegram.dmPolicy', message: 'must be one of "allowlist", "open", "pairing", "disabled"' },
        { path: 'cron.enabled', message: 'must be boolean' },
        { path: 'gateway.auth.mode', message: 'must be one of "token", "password", "none", "trusted-proxy"' },
        { path: 'gateway.bind', message: 'must be one of "loopback", "lan", "tailnet", "auto", "custom"' },
        { path: 'gateway.port', message: 'must be >= 1' },
        { path: 'meta', message: 'must be object' },
        { path: 'typo', message: 'unknown key' },
      ],
    });
    expect(await validateConfig([])).toEqual({ ok: false, issues: [{ path: '(root)', message: 'must be object' }] });
  });

  it('keep which issues are named when there are more than the message holds: the order is the whole schema\'s', async () => {
    const value: Record<string, unknown> = { gateway: { bogus: 1 }, channels: { telegram: { dmPolicy: 1 } } };
    for (let i = 0; i < 150; i++) value[`typo${i}`] = 1;
    for (let i = 0; i < 150; i++) (value.gateway as Record<string, unknown>)[`bogus${i}`] = 1;
    expect(await actual(value)).toEqual(expected(value));
    const result = await validateConfig(value);
    expect(!result.ok && result.issues.length).toBe(200);
  });
});
