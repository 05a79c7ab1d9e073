import { describe, expect, it } from 'vitest';
import { findCycles, importGraph } from './source-graph.js';

describe('import cycles', () => {
  it('no file of the tree imports itself back, through any chain of imports (import type included)', async () => {
    expect(findCycles(await importGraph())).toEqual([]);
  });

  it('the cycle finder finds direct, indirect and self cycles, and nothing in a chain', () => {
    const graph = new Map([
      ['a', ['b']],
      ['b', ['c']],
      ['c', ['a']],
      ['d', ['e']],
      ['e', ['d', 'f']],
      ['f', []],
      ['g', ['g']],
      ['h', ['f']],
    ]);
    expect(findCycles(graph)).toEqual([['a', 'b', 'c'], ['d', 'e'], ['g']]);
  });
});
