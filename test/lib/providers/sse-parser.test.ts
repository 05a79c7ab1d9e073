import { describe, expect, it } from 'vitest';
import { SseParser } from '../../../lib/providers/sse-parser.js';

function feedAll(chunks: string[]) {
  const parser = new SseParser();
  const events = chunks.flatMap((c) => parser.feed(c));
  return [...events, ...parser.end()];
}

describe('SseParser', () => {
  it('parses events split at every possible byte, with LF, CRLF and CR line ends', () => {
    const stream = 'event: a\ndata: one\n\nevent: b\r\ndata: two\r\ndata: lines\r\n\r\ndata: three\r\r: comment\ndata:four\n\n';
    const whole = feedAll([stream]);
    expect(whole).toEqual([
      { event: 'a', data: 'one' },
      { event: 'b', data: 'two\nlines' },
      { event: 'message', data: 'three' },
      { event: 'message', data: 'four' },
    ]);
    for (let i = 1; i < stream.length; i++) {
      expect(feedAll([stream.slice(0, i), stream.slice(i)]), `split at ${i}`).toEqual(whole);
    }
    expect(feedAll([...stream])).toEqual(whole);
  });

  it('returns nothing until the blank line that ends an event arrives', () => {
    const parser = new SseParser();
    expect(parser.feed('data: {"a":')).toEqual([]);
    expect(parser.feed('1}\n')).toEqual([]);
    expect(parser.feed('\n')).toEqual([{ event: 'message', data: '{"a":1}' }]);
  });

  it('drops an event cut off by the end of the stream, and events without data', () => {
    expect(feedAll(['event: x\n\ndata: partial'])).toEqual([]);
  });

  it('keeps the last event id and ignores unknown fields', () => {
    expect(feedAll(['id: 7\nretry: 10\nfoo: bar\ndata: x\n\ndata: y\n\n'])).toEqual([
      { event: 'message', data: 'x', id: '7' },
      { event: 'message', data: 'y', id: '7' },
    ]);
  });

  it('reassembles a long line fed one character at a time', () => {
    const parser = new SseParser();
    const text = `data: ${'y'.repeat(20_000)}\r\n\r\n`;
    const events = [...text].flatMap((ch) => parser.feed(ch));
    expect(events).toEqual([{ event: 'message', data: 'y'.repeat(20_000) }]);
  });

  it('refuses an event larger than its limit instead of buffering without bound', () => {
    const parser = new SseParser({ maxEventLength: 1000 });
    expect(parser.feed(`data: ${'a'.repeat(500)}\n\n`)).toHaveLength(1);
    expect(() => parser.feed(`data: ${'a'.repeat(600)}\ndata: ${'b'.repeat(600)}\n`)).toThrow(/larger than 1000/);
    expect(() => new SseParser({ maxEventLength: 1000 }).feed('x'.repeat(1001))).toThrow(/larger than 1000/);
  });
});
