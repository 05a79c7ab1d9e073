import { describe, expect, it } from 'vitest';
import { chunkText } from '../../../lib/channels/chunk-text.js';

describe('chunkText', () => {
  it('keeps short text whole', () => {
    expect(chunkText('hello', 4096)).toEqual(['hello']);
    expect(chunkText('', 10)).toEqual(['']);
  });

  it('breaks at paragraphs, then lines, then spaces, never over the limit', () => {
    const para = `${'a'.repeat(60)}\n\n${'b'.repeat(30)}`;
    expect(chunkText(para, 80)).toEqual(['a'.repeat(60), 'b'.repeat(30)]);
    expect(chunkText(`${'a'.repeat(60)}\n${'b'.repeat(30)}`, 80)).toEqual(['a'.repeat(60), 'b'.repeat(30)]);
    expect(chunkText('one two three four five', 9)).toEqual(['one two', 'three', 'four five']);
    for (const chunk of chunkText('lorem ipsum dolor sit amet '.repeat(400), 4096)) expect(chunk.length).toBeLessThanOrEqual(4096);
  });

  it('cuts words longer than the limit and never splits a surrogate pair', () => {
    expect(chunkText('x'.repeat(25), 10)).toEqual(['x'.repeat(10), 'x'.repeat(10), 'x'.repeat(5)]);
    const emoji = '😀'.repeat(5);
    const chunks = chunkText(emoji, 3);
    expect(chunks.join('')).toBe(emoji);
    for (const c of chunks) expect(c).not.toMatch(/[\ud800-\udbff]$/);
  });

  it('rejects a nonsensical limit', () => {
    expect(() => chunkText('x', 0)).toThrow(RangeError);
  });
});
