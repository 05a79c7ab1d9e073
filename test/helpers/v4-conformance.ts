import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import { eventSpecs, methodSpecs } from '../../lib/protocol/index.js';
import { loadProtocolSchema, validatorFor } from '../../lib/protocol/validate.js';
import type { Frame, RawPeer } from './raw-peer.js';

// Our own definitions are checked here too, whether or not a gateway in this process has loaded them.
await loadProtocolSchema();

/**
 * Protocol 4 as upstream publishes it (`@openclaw/gateway-protocol`, pinned exactly as a dev
 * dependency): the facts our frames to a v4 client must match.
 */
export const V4_PACKAGE = '@openclaw/gateway-protocol';

interface V4Schema {
  methods: Record<string, { scope: string }>;
  definitions: Record<string, unknown>;
}

let loaded: { schema: V4Schema; ajv: Ajv } | undefined;

function v4(): { schema: V4Schema; ajv: Ajv } {
  if (loaded) return loaded;
  // The package exports no path to its schema file: find it next to its entry point.
  const entry = createRequire(import.meta.url).resolve(V4_PACKAGE);
  const schema = JSON.parse(readFileSync(join(dirname(entry), '..', 'protocol.schema.json'), 'utf8')) as V4Schema;
  // Definitions compile on first use: the whole 3.5 MB graph is never needed at once.
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
  ajv.addSchema(schema, 'v4');
  loaded = { schema, ajv };
  return loaded;
}

const compiled = new Map<string, ValidateFunction | null>();

function validator(definition: string): ValidateFunction | null {
  if (!compiled.has(definition)) {
    const { schema, ajv } = v4();
    compiled.set(definition, definition in schema.definitions ? (ajv.getSchema(`v4#/definitions/${definition}`) ?? null) : null);
  }
  return compiled.get(definition)!;
}

/** `sessions.list` → `SessionsList`, `last-heartbeat` → `LastHeartbeat`: how v4 names a method's schemas. */
export function v4DefinitionStem(name: string): string {
  return name
    .split(/[.\-]/)
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}

/** Whether the v4 schema declares `method` (its `methods` table). */
export function v4HasMethod(method: string): boolean {
  return method in v4().schema.methods;
}

/** Whether upstream's v4 schema has a definition of this name. */
export function v4Defines(definition: string): boolean {
  return validator(definition) !== null;
}

/** The problems of `value` against a v4 definition; [] when it is valid or v4 defines no such schema. */
export function v4Problems(definition: string, value: unknown): string[] {
  const check = validator(definition);
  if (!check || check(value)) return [];
  return (check.errors ?? []).slice(0, 5).map((e) => `${definition}${e.instancePath} ${e.message}${e.params ? ` ${JSON.stringify(e.params)}` : ''}`);
}

/** The problems of `value` against our own schema's definition (what a payload v4 has no schema for must still match). */
function ownProblems(definition: string | undefined, value: unknown): string[] {
  if (!definition) return [];
  const result = validatorFor(definition)(value);
  return result.ok ? [] : [`our ${definition}: ${result.message}`];
}

/**
 * Checks every frame a gateway sends to one v4 client (one checker per connection): the envelope, `hello-ok`, each result
 * against `<Method>Result` and each event payload against `<Event>Event` where v4 defines them, and
 * against our own schema's definition where it does not.
 * Requests are remembered by id so a response is judged against the method it answers.
 */
export class V4FrameChecker {
  /** Where problems go; several peers of one test may share the list. */
  constructor(readonly violations: string[] = []) {}

  readonly #methods = new Map<string, string>();
  /** False once the handshake settled on another protocol: nothing after it is a v4 frame. */
  #v4 = true;

  sent(frame: unknown): void {
    const f = frame as { type?: string; id?: string; method?: string };
    if (f?.type === 'req' && typeof f.id === 'string' && typeof f.method === 'string') this.#methods.set(f.id, f.method);
  }

  received(frame: Frame): void {
    if (!this.#v4) return;
    if (frame.type === 'res') {
      const method = this.#methods.get(frame.id) ?? '?';
      this.#report(`res ${method}`, v4Problems('ResponseFrame', frame));
      if (!frame.ok) return;
      if (method === 'connect') {
        if (frame.payload?.protocol !== 4) this.#v4 = false;
        else this.#report('hello-ok', v4Problems('HelloOk', frame.payload));
      }
      // Two-phase methods (`agent`) answer `accepted` first; only the final payload is the result.
      else if (frame.payload?.status !== 'accepted') {
        const name = `${v4DefinitionStem(method)}Result`;
        const spec = (methodSpecs as Record<string, { result: string } | undefined>)[method];
        this.#report(`result of ${method}`, v4Defines(name) ? v4Problems(name, frame.payload) : ownProblems(spec?.result, frame.payload));
      }
    } else if (frame.type === 'event') {
      this.#report(`event ${frame.event}`, v4Problems('EventFrame', frame));
      const name = `${v4DefinitionStem(frame.event)}Event`;
      const spec = (eventSpecs as Record<string, { payload: string } | undefined>)[frame.event];
      this.#report(`event ${frame.event}`, v4Defines(name) ? v4Problems(name, frame.payload) : ownProblems(spec?.payload, frame.payload));
    } else {
      this.violations.push(`unexpected frame type ${JSON.stringify(frame.type)}`);
    }
  }

  #report(what: string, problems: string[]): void {
    for (const p of problems) this.violations.push(`${what}: ${p}`);
  }
}

/**
 * Makes a raw peer speak protocol 4: connects offering only v4 (unless a test asks for specific
 * versions or signs a nonce-less v1 claim, which v4 refuses) and checks every frame it receives.
 */
export function speakV4(peer: RawPeer, violations: string[] = []): V4FrameChecker {
  const checker = new V4FrameChecker(violations);
  peer.observe({
    sending(frame) {
      const f = frame as { type?: string; method?: string; params?: { minProtocol?: number; maxProtocol?: number; device?: { nonce?: string } } };
      let out: unknown = frame;
      if (f?.type === 'req' && f.method === 'connect' && f.params?.minProtocol === 3 && f.params.maxProtocol === 3 && (!f.params.device || f.params.device.nonce)) {
        out = { ...f, params: { ...f.params, minProtocol: 4, maxProtocol: 4 } };
      }
      checker.sent(out);
      return out;
    },
    received: (frame) => checker.received(frame),
  });
  return checker;
}
