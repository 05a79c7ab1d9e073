import { GatewayError } from '../lib/errors.js';

/** A user action from the A2UI page, as the page (and upstream's node bridge) sends it: `{ userAction }`. */
export interface A2uiUserAction {
  /** Unique per click; retries reuse it, so the gateway runs the agent once. */
  id: string;
  name: string;
  surfaceId: string;
  sourceComponentId: string;
  timestamp?: string;
  /** The action's context with its data bindings resolved. */
  context?: Record<string, unknown>;
}

export interface A2uiActionMessageInput {
  action: A2uiUserAction;
  sessionKey: string;
  host?: string;
  instanceId?: string;
}

const MAX_NAME = 200;
const MAX_CONTEXT_JSON = 16_384;

/** Checks the `userAction` object of a request body; what the agent sees is built only from checked fields. */
export function parseA2uiUserAction(value: unknown): A2uiUserAction {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid('userAction must be an object');
  const raw = value as Record<string, unknown>;
  const text = (key: string, required: boolean): string | undefined => {
    const v = raw[key];
    if (v === undefined && !required) return undefined;
    if (typeof v !== 'string' || v.trim() === '' || v.length > MAX_NAME) throw invalid(`userAction.${key} must be a non-empty string of at most ${MAX_NAME} characters`);
    return v.trim();
  };
  const context = raw.context;
  if (context !== undefined && (typeof context !== 'object' || context === null || Array.isArray(context))) throw invalid('userAction.context must be an object');
  if (context !== undefined && JSON.stringify(context).length > MAX_CONTEXT_JSON) throw invalid(`userAction.context is larger than ${MAX_CONTEXT_JSON} characters of JSON`);
  return {
    id: text('id', true)!,
    name: text('name', true)!,
    surfaceId: text('surfaceId', true)!,
    sourceComponentId: text('sourceComponentId', false) ?? '-',
    ...(typeof raw.timestamp === 'string' ? { timestamp: raw.timestamp } : {}),
    ...(context !== undefined ? { context: context as Record<string, unknown> } : {}),
  };
}

/**
 * The agent message for a click, in the one-line form upstream's node apps send for A2UI actions:
 * `CANVAS_A2UI action=… session=… surface=… component=… host=… instance=… ctx={…} default=update_canvas`.
 * Tag values are reduced to `[A-Za-z0-9_.:-]` (anything else becomes `_`, empty becomes `-`) so a
 * value can never add a tag of its own; the context is JSON, and `ctx=` is left out when empty.
 */
export function formatA2uiActionMessage(input: A2uiActionMessageInput): string {
  const { action } = input;
  const context = action.context && Object.keys(action.context).length > 0 ? ` ctx=${JSON.stringify(action.context)}` : '';
  return (
    `CANVAS_A2UI action=${tag(action.name)} session=${tag(input.sessionKey)} surface=${tag(action.surfaceId)} ` +
    `component=${tag(action.sourceComponentId)} host=${tag(input.host)} instance=${tag(input.instanceId)}${context} default=update_canvas`
  );
}

function tag(value: string | undefined): string {
  const trimmed = (value ?? '').trim();
  return trimmed === '' ? '-' : trimmed.replace(/[^A-Za-z0-9_.:-]/g, '_');
}

function invalid(message: string): GatewayError {
  return new GatewayError('INVALID_REQUEST', message);
}
