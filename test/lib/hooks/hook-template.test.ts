import { describe, expect, it } from 'vitest';
import { renderHookTemplate, type HookTemplateContext } from '../../../lib/hooks/hook-template.js';

const context: HookTemplateContext = {
  payload: { a: { b: 'deep' }, list: [{ id: 'x1' }, { id: 'x2' }], n: 3, obj: { k: 1 }, 'odd key': 'o', nil: null },
  headers: { 'x-event': 'push' },
  query: { ref: 'main' },
  path: 'github',
  now: '2026-01-30T00:00:00.000Z',
};

describe('renderHookTemplate', () => {
  it('reads payload paths bare or under payload, headers, query, path and now', () => {
    expect(renderHookTemplate('{{a.b}}|{{payload.a.b}}|{{ list[1].id }}|{{n}}|{{obj}}', context)).toBe('deep|deep|x2|3|{"k":1}');
    expect(renderHookTemplate('{{headers.x-event}} {{query.ref}} {{path}} {{now}}', context)).toBe('push main github 2026-01-30T00:00:00.000Z');
    expect(renderHookTemplate('{{payload["odd key"]}}', context)).toBe('o');
  });

  it('renders missing, null and malformed placeholders as nothing and evaluates nothing', () => {
    expect(renderHookTemplate('[{{nope.x}}][{{nil}}][{{list[9].id}}][{{a..b}}][{{1+1}}]', context)).toBe('[][][][][]');
    expect(renderHookTemplate('{{constructor}}{{a.constructor.name}}{{__proto__}}{{obj.toString}}', context)).toBe('');
    expect(renderHookTemplate('no placeholders, {single} braces', context)).toBe('no placeholders, {single} braces');
  });
});
