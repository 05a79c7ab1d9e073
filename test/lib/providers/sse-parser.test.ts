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
});
