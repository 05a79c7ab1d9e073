import { describe, expect, it } from 'vitest';
import { SseParser } from '../../../lib/providers/sse-parser.js';

function feedAll(chunks: string[]) {
  const parser = new SseParser();
  const events = chunks.flatMap((c) => parser.feed(c));
  return [...events, ...parser.end()];
}

describe('SseParser', () => {
  it('parses events split at every possible character, with LF, CRLF and CR line ends', () => {
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

  it('keeps the last event id until the stream sends another, and an empty id clears it', () => {
    expect(feedAll(['data: a\n\nid: 1\ndata: b\n\ndata: c\n\nid: 2\ndata: d\n\ndata: e\n\nid\ndata: f\n\ndata: g\n\n'])).toEqual([
      { event: 'message', data: 'a' },
      { event: 'message', data: 'b', id: '1' },
      { event: 'message', data: 'c', id: '1' },
      { event: 'message', data: 'd', id: '2' },
      { event: 'message', data: 'e', id: '2' },
      { event: 'message', data: 'f', id: '' },
      { event: 'message', data: 'g', id: '' },
    ]);
  });

  it('dispatches an event ended by a lone CR once the next chunk shows no LF follows', () => {
    const parser = new SseParser();
    expect(parser.feed('data: a\r')).toEqual([]);
    expect(parser.feed('\r')).toEqual([]);
    expect(parser.feed('d')).toEqual([{ event: 'message', data: 'a' }]);
    expect(parser.feed('ata: b\n\r')).toEqual([]);
    expect(parser.feed('\n')).toEqual([{ event: 'message', data: 'b' }]);
    expect(feedAll(['data: a\n\r', 'x'])).toEqual([{ event: 'message', data: 'a' }]);
  });

  it('ends the last line at a trailing lone CR when the stream ends', () => {
    expect(feedAll(['data: x\r\r'])).toEqual([{ event: 'message', data: 'x' }]);
    expect(feedAll(['data: x\r', '\r', ''])).toEqual([{ event: 'message', data: 'x' }]);
    expect(feedAll(['data: x\r'])).toEqual([]);
    expect(feedAll(['data: x\n'])).toEqual([]);
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

  it('refuses an endless event fed in small chunks, and keeps refusing with the same error', () => {
    const line = new SseParser({ maxEventLength: 1000 });
    line.feed('data: ');
    let fed = 6;
    expect(() => {
      for (;;) {
        line.feed('z'.repeat(100));
        fed += 100;
      }
    }).toThrow('server-sent event larger than 1000 characters');
    expect(fed).toBeLessThanOrEqual(1100);
    expect(() => line.feed('\n\n')).toThrow('server-sent event larger than 1000 characters');

    const lines = new SseParser({ maxEventLength: 1000 });
    let sent = 0;
    expect(() => {
      for (;;) {
        lines.feed('data: 0123456789\n');
        sent++;
      }
    }).toThrow('server-sent event larger than 1000 characters');
    expect(sent).toBeLessThanOrEqual(100);
  });
});
