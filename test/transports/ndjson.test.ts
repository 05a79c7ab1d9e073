import { describe, expect, it } from 'vitest';
import { NdjsonDecoder } from '../../transports/ndjson.js';

function decoder(maxLineBytes?: number) {
  const lines: string[] = [];
  let oversize = 0;
  const d = new NdjsonDecoder({ maxLineBytes, onLine: (line) => lines.push(line), onOversize: () => oversize++ });
  return { d, lines, oversize: () => oversize };
}

describe('NdjsonDecoder', () => {
  it('emits complete lines and keeps the partial one', () => {
    const { d, lines } = decoder();
    d.push('{"a":1}\n{"b"');
    expect(lines).toEqual(['{"a":1}']);
    d.push(':2}\n');
    expect(lines).toEqual(['{"a":1}', '{"b":2}']);
  });

  it('strips \\r and skips blank lines', () => {
    const { d, lines } = decoder();
    d.push('one\r\n\r\n\n   \ntwo\r');
    d.push('\n');
    expect(lines).toEqual(['one', 'two']);
  });

  it('decodes UTF-8 sequences split across chunks', () => {
    const { d, lines } = decoder();
    const bytes = Buffer.from('"héllo 👋"\n', 'utf8');
    for (const byte of bytes) d.push(Buffer.from([byte]));
    expect(lines).toEqual(['"héllo 👋"']);
  });

  it('reports an oversize line once and resumes after its newline', () => {
    const { d, lines, oversize } = decoder(8);
    d.push('12345');
    d.push('67890abc');
    d.push('def');
    expect(oversize()).toBe(1);
    d.push('ghi\nok\n');
    expect(lines).toEqual(['ok']);
    d.push('123456789\nfine\n');
    expect(oversize()).toBe(2);
    expect(lines).toEqual(['ok', 'fine']);
  });

  it('accepts a line of exactly maxLineBytes', () => {
    const { d, lines, oversize } = decoder(4);
    d.push('abcd\n');
    expect(lines).toEqual(['abcd']);
    expect(oversize()).toBe(0);
  });

  it('flushes a last line without newline on end()', () => {
    const { d, lines } = decoder();
    d.push('a\nb');
    d.end();
    expect(lines).toEqual(['a', 'b']);
  });
});
