/**
 * The A2UI host page served at `/__openclaw__/a2ui/`: renders the surfaces an agent sends with
 * the canvas commands (`canvas.a2ui.push`, `canvas.a2ui.pushJSONL`, `canvas.a2ui.reset`) through
 * `@a2ui/lit`, and sends what the user does back as agent input.
 *
 * A node's webview hands the commands to `window.openclawA2UI` (the names upstream's nodes call:
 * `applyMessages`, `reset`, `getSurfaces`, plus `push`/`pushJSONL` after the commands). A button
 * click leaves as `{ userAction }`: to the node app's native bridge when one is injected (the
 * node forwards it, as upstream's apps do), otherwise as `POST ./action` to the gateway.
 */
import { ContextProvider } from '@lit/context';
import { LitElement, css, html, type PropertyValues } from 'lit';
import * as UI from '@a2ui/lit/ui';
import { Data, type Types } from '@a2ui/lit/v0_8';
import { A2uiMessageError, parseA2uiJsonl, parseA2uiMessages, type A2uiMessage } from './a2ui-messages.js';
import { renderPlainText } from './a2ui-text.js';
import { plainTheme } from './a2ui-theme.js';

/** What `applyMessages`/`push`/`pushJSONL`/`reset` return: the node command's result. */
export type A2uiApplyResult = { ok: true; surfaces: string[] } | { ok: false; error: string };

/** Set by the node (or a test) so a click can reach the gateway without a native bridge. */
export interface A2uiHostConfig {
  /** The gateway token or password, sent as `Authorization: Bearer`. */
  token?: string;
  /** The session whose agent gets the actions; the gateway's default is `main`. */
  sessionKey?: string;
  /** Shown to the agent as `host=` and `instance=`, as upstream's nodes fill them. */
  host?: string;
  instanceId?: string;
}

export interface OpenClawA2uiApi {
  applyMessages(messages: unknown): A2uiApplyResult;
  push(payload: unknown): A2uiApplyResult;
  pushJSONL(payload: unknown): A2uiApplyResult;
  reset(): A2uiApplyResult;
  getSurfaces(): string[];
  configure(config: A2uiHostConfig): void;
}

/** Sent after each action: `{ id, ok, error }`, the event upstream's nodes dispatch too. */
export const ACTION_STATUS_EVENT = 'openclaw:a2ui-action-status';

interface NativeBridge {
  postMessage(body: string): void;
}

declare global {
  interface Window {
    openclawA2UI?: OpenClawA2uiApi;
  }
}

const BRIDGE_NAME = 'openclawCanvasA2UIAction';

class A2uiHostElement extends LitElement {
  static override styles = css`
    :host { display: flex; flex-direction: column; gap: 16px; }
    .status { color: GrayText; margin: 0; }
  `;

  readonly processor = Data.createSignalA2uiMessageProcessor();
  config: A2uiHostConfig = {};
  // Every component consumes the theme from this element up; the provider lives as long as it does.
  readonly themeProvider = new ContextProvider(this, { context: UI.Context.theme, initialValue: plainTheme() });
  readonly markdownProvider = new ContextProvider(this, { context: UI.Context.markdown, initialValue: renderPlainText });

  constructor() {
    super();
    this.addEventListener('a2uiaction', (event) => this.#onAction(event));
  }

  apply(messages: A2uiMessage[]): string[] {
    // The renderer's own types come from its zod schemas; ours checked the v0.8 shape already.
    this.processor.processMessages(messages as unknown as Types.ServerToClientMessage[]);
    this.requestUpdate();
    return this.surfaceIds();
  }

  reset(): void {
    this.processor.clearSurfaces();
    this.requestUpdate();
  }

  surfaceIds(): string[] {
    return [...this.processor.getSurfaces().keys()];
  }

  protected override updated(changed: PropertyValues): void {
    super.updated(changed);
    this.dataset.surfaces = String(this.processor.getSurfaces().size);
  }

  override render() {
    const surfaces = [...this.processor.getSurfaces()];
    if (surfaces.length === 0) return html`<p class="status" role="status">Waiting for the agent to show something here.</p>`;
    return surfaces.map(
      ([id, surface]) => html`<a2ui-surface data-surface-id=${id} .surfaceId=${id} .surface=${surface} .processor=${this.processor}></a2ui-surface>`,
    );
  }

  #onAction(event: Event): void {
    const detail = (event as CustomEvent<ActionDetail | undefined>).detail;
    if (!detail || detail.eventType !== 'a2ui.action') return;
    const surfaceElement = event.composedPath().find((el): el is UI.Surface => el instanceof UI.Surface);
    const surfaceId = surfaceElement?.surfaceId ?? '';
    const context: Record<string, unknown> = {};
    for (const entry of detail.action.context ?? []) {
      const value = entry.value;
      if (value.path !== undefined) {
        const node = detail.sourceComponent;
        context[entry.key] = node ? toJson(this.processor.getData(node, value.path, surfaceId)) : null;
      } else {
        context[entry.key] = value.literalString ?? value.literalNumber ?? value.literalBoolean ?? null;
      }
    }
    const userAction = {
      id: crypto.randomUUID(),
      name: detail.action.name,
      surfaceId,
      sourceComponentId: detail.sourceComponentId,
      timestamp: new Date().toISOString(),
      context,
    };
    this.#send(userAction).then(
      () => reportStatus(userAction.id, true),
      (err: unknown) => reportStatus(userAction.id, false, (err as Error).message),
    );
  }

  async #send(userAction: { id: string }): Promise<void> {
    const bridge = nativeBridge();
    if (bridge) {
      bridge.postMessage(JSON.stringify({ userAction }));
      return;
    }
    const { token, sessionKey, host, instanceId } = this.config;
    const response = await fetch(new URL('action', document.baseURI), {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ userAction, sessionKey, host, instanceId }),
    });
    if (!response.ok) {
      const body = (await response.json().catch(() => ({}))) as { error?: { message?: string } | string };
      const message = typeof body.error === 'string' ? body.error : body.error?.message;
      throw new Error(message ?? `the gateway answered ${response.status}`);
    }
  }
}

type ActionDetail = {
  eventType: string;
  action: Types.Action;
  sourceComponentId: string;
  sourceComponent: Types.AnyComponentNode | null;
};

/** Upstream's node apps inject this handler (WKWebView message handler, Android JS interface). */
function nativeBridge(): NativeBridge | undefined {
  const scope = globalThis as unknown as { webkit?: { messageHandlers?: Record<string, NativeBridge | undefined> } } & Record<string, unknown>;
  const ios = scope.webkit?.messageHandlers?.[BRIDGE_NAME];
  if (ios && typeof ios.postMessage === 'function') return ios;
  const android = scope[BRIDGE_NAME] as NativeBridge | undefined;
  return android && typeof android.postMessage === 'function' ? android : undefined;
}

function reportStatus(id: string, ok: boolean, error = ''): void {
  window.dispatchEvent(new CustomEvent(ACTION_STATUS_EVENT, { detail: { id, ok, error } }));
}

/** The processor keeps objects as Maps; the agent gets plain JSON. */
function toJson(value: Types.DataValue | null): unknown {
  if (value instanceof Map) return Object.fromEntries([...value].map(([k, v]) => [k, toJson(v)]));
  if (Array.isArray(value)) return value.map(toJson);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toJson(v)]));
  return value;
}

function guarded(apply: () => string[]): A2uiApplyResult {
  try {
    return { ok: true, surfaces: apply() };
  } catch (err) {
    return { ok: false, error: err instanceof A2uiMessageError ? err.message : `A2UI update failed: ${(err as Error).message}` };
  }
}

customElements.define('openclaw-a2ui-host', A2uiHostElement);

const hostElement = document.querySelector('openclaw-a2ui-host') as A2uiHostElement;
const fragment = new URLSearchParams(location.hash.slice(1));
const fragmentToken = fragment.get('token');
if (fragmentToken) {
  hostElement.config = { token: fragmentToken, ...(fragment.get('session') ? { sessionKey: fragment.get('session')! } : {}) };
  // The token stays out of history and out of anything the page's surfaces might read later.
  history.replaceState(null, '', location.pathname + location.search);
}

window.openclawA2UI = {
  applyMessages: (messages) => guarded(() => hostElement.apply(parseA2uiMessages(messages))),
  push: (payload) => guarded(() => hostElement.apply(parseA2uiMessages(payload))),
  pushJSONL: (payload) => guarded(() => hostElement.apply(parseA2uiJsonl(payload))),
  reset: () =>
    guarded(() => {
      hostElement.reset();
      return [];
    }),
  getSurfaces: () => hostElement.surfaceIds(),
  configure: (config) => {
    hostElement.config = { ...hostElement.config, ...config };
  },
};
document.documentElement.dataset.a2uiReady = 'true';
