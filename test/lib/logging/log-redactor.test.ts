import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { validateConfig } from '../../../lib/config/load-config.js';
import { createConsoleLogger } from '../../../lib/console-logger.js';
import { GatewayError } from '../../../lib/errors.js';
import { FileLogger } from '../../../lib/logging/file-logger.js';
import { createLogRedactor } from '../../../lib/logging/log-redactor.js';
import { readLogTail } from '../../../lib/logging/log-tail.js';
import { RuntimeLogs } from '../../../runtime/runtime-logs.js';

const KEY = 'sk-ant-abcdefghijklmnop1234';
const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'openclaw-redact-'));
  dirs.push(dir);
  return dir;
}

describe('logging.redactSensitive / redactPatterns', () => {
  it('masks credential shapes by default ("tools"), nothing with "off", and only the configured patterns when given', () => {
    const byDefault = createLogRedactor(undefined);
    expect(byDefault(`tool output: key=${KEY} done`)).toBe('tool output: key=sk-ant…1234 done');
    expect(byDefault('Authorization: Bearer abcdefghijklmnopqrstuvwx')).toBe('Authorization: Bearer abcdef…uvwx');
    expect(byDefault('{"apiKey":"hunter2hunter2"}')).toBe('{"apiKey":"***"}');
    expect(byDefault('nothing secret here')).toBe('nothing secret here');
    expect(createLogRedactor({ redactSensitive: 'off' })(`key ${KEY}`)).toBe(`key ${KEY}`);
    const own = createLogRedactor({ redactSensitive: 'tools', redactPatterns: ['ACME-\\d{4}', '/customer=(\\w+)/i'] });
    expect(own(`ACME-1234 CUSTOMER=bob ${KEY}`)).toBe(`*** CUSTOMER=*** ${KEY}`);
  });

  it('an invalid pattern is a config error naming it', async () => {
    const result = await validateConfig({ logging: { redactPatterns: ['ok', '(unclosed', ''] } });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues.map((i) => i.path)).toEqual(['logging.redactPatterns.1', 'logging.redactPatterns.2']);
    expect(result.issues[0]!.message).toContain('"(unclosed" is not a valid regular expression');
    const err = (() => {
      try {
        createLogRedactor({ redactPatterns: ['[z-a]'] });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(GatewayError);
    expect((err as GatewayError).code).toBe('CONFIG_INVALID');
    expect((err as GatewayError).message).toContain('logging.redactPatterns.0: "[z-a]"');
  });

  it('applies to the console, the file log (still JSON) and logs.tail', async () => {
    const dir = await tempDir();
    const redact = createLogRedactor({ redactPatterns: ['secret-\\w+'] });
    const lines: string[] = [];
    createConsoleLogger({ write: (line) => void lines.push(line), redact, style: 'compact' }).log('info', 'agent/tool', 'got secret-abc', { out: 'and secret-def' });
    expect(lines).toEqual(['[agent/tool] got *** out="and ***"']);

    const file = join(dir, 'gateway.log');
    new FileLogger({ file, redact }).log('info', 'agent/tool', 'got secret-abc', { out: ['secret-def'] });
    const entry = JSON.parse((await readFile(file, 'utf8')).trim());
    expect(entry['0']).toBe('got ***');
    expect(entry['1']).toEqual({ out: ['***'] });

    // A line written before the pattern was configured is masked on the way out.
    await writeFile(file, '{"0":"old secret-xyz"}\n', { flag: 'a' });
    const tail = await readLogTail({ file, redact });
    expect(tail.lines.every((l) => !l.includes('secret-'))).toBe(true);
    expect(tail.lines.at(-1)).toBe('{"0":"old ***"}');
  });

  it('RuntimeLogs rebuilds the redaction on apply and refuses a bad pattern', async () => {
    const dir = await tempDir();
    const out: string[] = [];
    const logs = new RuntimeLogs({ out: (l) => void out.push(l), secrets: () => [], logDir: dir });
    const file = join(dir, 'x.log');
    logs.apply({ file, consoleStyle: 'compact', redactPatterns: ['tok_\\w+'] }, false);
    logs.logger.log('info', 'gateway', 'saw tok_123');
    expect(out.at(-1)).toBe('[gateway] saw ***');
    expect(await readFile(file, 'utf8')).toContain('"0":"saw ***"');
    expect(logs.redact('tok_9')).toBe('***');
    logs.apply({ file, consoleStyle: 'compact', redactSensitive: 'off', redactPatterns: ['tok_\\w+'] }, false);
    logs.logger.log('info', 'gateway', 'saw tok_456');
    expect(out.at(-1)).toBe('[gateway] saw tok_456');
    expect(() => logs.apply({ file, redactPatterns: ['('] }, false)).toThrow('logging.redactPatterns.0');
  });
});
