import type { Ajv } from 'ajv';
import { GatewayError, invalidRequest } from '../errors.js';
import type { ToolSpec } from '../providers/model-provider.js';
import { createAjv } from '../protocol/create-ajv.js';
import { boundedCheck, compilePair, type ValidatorPair } from '../protocol/validate.js';

/** Who is calling a tool: the run (or HTTP request) and where it came from. */
export interface ToolContext {
  agentId: string;
  sessionKey: string;
  runId?: string;
  signal: AbortSignal;
  /** `x-openclaw-message-channel` / the run's channel. */
  messageChannel?: string;
  accountId?: string;
}

export interface ToolResult {
  /** What the model reads. */
  text: string;
  /** Structured result: what `POST /tools/invoke` returns (defaults to `text`). */
  details?: unknown;
  isError?: boolean;
}

/** A capability the agent can call. `parameters` is the JSON Schema of its arguments (an object). */
export interface Tool {
  readonly name: string;
  readonly description: string;
  readonly parameters: Record<string, unknown>;
  execute(args: Record<string, unknown>, ctx: ToolContext): Promise<ToolResult> | ToolResult;
}

/** `tools.allow` / `tools.deny`: deny wins; without allow every registered tool is available. */
export interface ToolPolicy {
  allow?: readonly string[];
  deny?: readonly string[];
}

/** The tools of a gateway, filtered by policy, with arguments validated against each tool's schema. */
export class ToolRegistry {
  readonly #tools = new Map<string, Tool>();
  readonly #validators = new Map<string, ValidatorPair>();
  readonly #policy: ToolPolicy;
  /** Made with the first tool call's validation: a gateway whose tools are never called loads no AJV. */
  #ajv?: { first: Ajv; all: Ajv };

  constructor(tools: readonly Tool[] = [], policy: ToolPolicy = {}) {
    this.#policy = policy;
    for (const tool of tools) this.add(tool);
  }

  add(tool: Tool): this {
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(tool.name)) throw new TypeError(`tool name "${tool.name}" must be 1-64 letters, digits, "_" or "-"`);
    if (this.#tools.has(tool.name)) throw new TypeError(`tool "${tool.name}" is registered twice`);
    this.#tools.set(tool.name, tool);
    return this;
  }

  /** The tool, if it exists and policy allows it. */
  get(name: string): Tool | undefined {
    const tool = this.#tools.get(name);
    return tool && this.#allowed(name) ? tool : undefined;
  }

  list(): Tool[] {
    return [...this.#tools.values()].filter((t) => this.#allowed(t.name));
  }

  specs(): ToolSpec[] {
    return this.list().map((t) => ({ name: t.name, description: t.description, parameters: t.parameters }));
  }

  /**
   * Validates and runs one call. Unknown or disallowed tools and bad arguments are INVALID_REQUEST
   * (`details.reason` `not_found` / `invalid_arguments`); the tool's own failures propagate.
   */
  async invoke(name: string, args: unknown, ctx: ToolContext): Promise<ToolResult> {
    const tool = this.get(name);
    if (!tool) throw invalidRequest(`Tool not available: ${name}`, { reason: 'not_found' });
    const checked = this.validate(tool, args ?? {});
    if (!checked.ok) throw invalidRequest(`invalid arguments for ${name}: ${checked.message}`, { reason: 'invalid_arguments' });
    return tool.execute(checked.args, ctx);
  }

  validate(tool: Tool, args: unknown): { ok: true; args: Record<string, unknown> } | { ok: false; message: string } {
    if (!args || typeof args !== 'object' || Array.isArray(args)) return { ok: false, message: 'arguments must be a JSON object' };
    let validate = this.#validators.get(tool.name);
    if (!validate) {
      this.#ajv ??= { first: createAjv({ allErrors: false, strict: false }), all: createAjv({ allErrors: true, strict: false }) };
      validate = compilePair(this.#ajv.first, this.#ajv.all, tool.parameters);
      this.#validators.set(tool.name, validate);
    }
    const message = boundedCheck(validate, args);
    return message === undefined ? { ok: true, args: args as Record<string, unknown> } : { ok: false, message };
  }

  #allowed(name: string): boolean {
    if (this.#policy.deny?.includes(name)) return false;
    return !this.#policy.allow || this.#policy.allow.includes(name);
  }
}

/** A tool failure the model (or HTTP caller) should read as is. */
export function toolFailure(message: string, details?: unknown): GatewayError {
  return new GatewayError('UNAVAILABLE', message, details === undefined ? { details: { reason: 'tool_error' } } : { details });
}
