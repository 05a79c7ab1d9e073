import { GatewayError } from '../lib/errors.js';
import type { HookMapping } from '../lib/hooks/hook-mappings.js';
import { renderHookTemplate, type HookTemplateContext } from '../lib/hooks/hook-template.js';
import type { HookTransformLoader } from './hook-transforms.js';

type Json = Record<string, unknown>;
export type WakeMode = 'now' | 'next-heartbeat';

/** An agent turn a hook starts (what `/agent` takes, after a mapping's templates and transform). */
export interface HookRun {
  message: string;
  name: string;
  agentId?: string;
  sessionKey?: string;
  /** How the summary reaches the main session: `now` also runs a heartbeat when there are heartbeats. */
  wakeMode: WakeMode;
  deliver: boolean;
  channel?: string;
  to?: string;
  model?: string;
  thinking?: string;
  timeoutSeconds?: number;
}

export type HookAction = { action: 'wake'; text: string; mode: WakeMode; agentId?: string } | { action: 'agent'; run: HookRun };

/** One request to `<hooks.path>/<path>` as a mapping sees it. */
export interface HookRequest {
  payload: Json;
  /** Lower-case names; repeated headers joined with `, `. */
  headers: Record<string, string>;
  url: URL;
  path: string;
  now: string;
}

const STRING_FIELDS = ['message', 'text', 'name', 'agentId', 'sessionKey', 'channel', 'to', 'model', 'thinking'] as const;

/**
 * What a matched mapping does with a request: its fields with the templates filled in, then
 * whatever its transform returns laid over them. Null when the transform returned null (skip).
 * A transform that throws or returns something unusable is UNAVAILABLE (the route's 500); an
 * action left without its message or text is INVALID_REQUEST (400).
 */
export async function mappedHookAction(mapping: HookMapping, request: HookRequest, transforms?: HookTransformLoader): Promise<HookAction | null> {
  const context: HookTemplateContext = {
    payload: request.payload,
    headers: request.headers,
    query: Object.fromEntries(request.url.searchParams),
    path: request.path,
    now: request.now,
  };
  const fill = (template: string | undefined) => (template === undefined ? undefined : renderHookTemplate(template, context));
  let fields: Json = {
    action: mapping.action ?? 'agent',
    message: fill(mapping.messageTemplate),
    text: fill(mapping.textTemplate ?? mapping.messageTemplate),
    name: fill(mapping.name),
    agentId: mapping.agentId,
    sessionKey: fill(mapping.sessionKey),
    wakeMode: mapping.wakeMode,
    deliver: mapping.deliver,
    channel: mapping.channel,
    to: fill(mapping.to),
    model: mapping.model,
    thinking: mapping.thinking,
    timeoutSeconds: mapping.timeoutSeconds,
  };
  if (mapping.transform) {
    const override = await runTransform(mapping.transform, request, transforms);
    if (override === null) return null;
    fields = { ...fields, ...override };
  }
  const label = mapping.id ?? mapping.name ?? request.path;
  const str = (key: string) => (typeof fields[key] === 'string' && (fields[key] as string).trim() ? (fields[key] as string).trim() : undefined);
  const wakeMode = (fields.wakeMode as WakeMode | undefined) ?? 'now';
  if (fields.action === 'wake') {
    const text = str('text') ?? (typeof request.payload.text === 'string' ? request.payload.text.trim() : '');
    if (!text) throw new GatewayError('INVALID_REQUEST', `hook mapping ${label} produced an empty text`);
    return { action: 'wake', text, mode: wakeMode, agentId: str('agentId') };
  }
  const message = str('message') ?? (mapping.transform === undefined && typeof request.payload.message === 'string' ? request.payload.message.trim() : '');
  if (!message) throw new GatewayError('INVALID_REQUEST', `hook mapping ${label} produced an empty message`);
  return {
    action: 'agent',
    run: {
      message,
      name: str('name') ?? label,
      agentId: str('agentId'),
      sessionKey: str('sessionKey'),
      wakeMode,
      deliver: fields.deliver === undefined ? true : fields.deliver === true,
      channel: str('channel'),
      to: str('to'),
      model: str('model'),
      thinking: str('thinking'),
      timeoutSeconds: typeof fields.timeoutSeconds === 'number' ? fields.timeoutSeconds : undefined,
    },
  };
}

async function runTransform(transform: NonNullable<HookMapping['transform']>, request: HookRequest, transforms: HookTransformLoader | undefined): Promise<Json | null> {
  const what = `hook transform ${transform.module}${transform.export ? `#${transform.export}` : ''}`;
  if (!transforms) throw new GatewayError('UNAVAILABLE', `${what}: hook transforms are not set up on this gateway`);
  let result: unknown;
  try {
    const fn = await transforms.load(transform.module, transform.export);
    result = await fn({ payload: request.payload, headers: request.headers, url: request.url, path: request.path });
  } catch (err) {
    throw new GatewayError('UNAVAILABLE', `${what} failed: ${(err as Error)?.message ?? String(err)}`, { cause: err });
  }
  if (result === null) return null;
  if (result === undefined) return {};
  if (typeof result !== 'object' || Array.isArray(result)) throw new GatewayError('UNAVAILABLE', `${what} returned ${Array.isArray(result) ? 'an array' : typeof result}; it must return an object or null`);
  return checkOverride(result as Json, what);
}

/** The transform's fields that an action has, type-checked; other keys are ignored. */
function checkOverride(result: Json, what: string): Json {
  const out: Json = {};
  const invalid = (key: string, expected: string) => new GatewayError('UNAVAILABLE', `${what} returned an invalid ${key}: expected ${expected}`);
  for (const key of STRING_FIELDS) {
    if (result[key] === undefined) continue;
    if (typeof result[key] !== 'string') throw invalid(key, 'a string');
    out[key] = result[key];
  }
  const action = result.action;
  if (action !== undefined) {
    if (action !== 'wake' && action !== 'agent') throw invalid('action', '"wake" or "agent"');
    out.action = action;
  }
  if (result.wakeMode !== undefined) {
    if (result.wakeMode !== 'now' && result.wakeMode !== 'next-heartbeat') throw invalid('wakeMode', '"now" or "next-heartbeat"');
    out.wakeMode = result.wakeMode;
  }
  if (result.deliver !== undefined) {
    if (typeof result.deliver !== 'boolean') throw invalid('deliver', 'true or false');
    out.deliver = result.deliver;
  }
  if (result.timeoutSeconds !== undefined) {
    const t = result.timeoutSeconds;
    if (typeof t !== 'number' || !Number.isInteger(t) || t <= 0) throw invalid('timeoutSeconds', 'a positive integer');
    out.timeoutSeconds = t;
  }
  return out;
}
