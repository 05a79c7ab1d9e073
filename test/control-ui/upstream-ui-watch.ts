import type { Page } from 'playwright-core';

/** How the upstream app shows trouble: callouts, the header's error pill, account and field errors. */
export const UPSTREAM_ERROR_SELECTORS = ['.callout.danger', '.pill.danger', '.account-card-error', '.exec-approval-error', '.cfg-field--error'];
/** What its config forms print for a schema node they cannot render, and what an unknown method says. */
const TROUBLE_TEXT = [/Unsupported (schema node|type|array schema|schema)/, /unknown method/i, /Form view can't safely edit/];

/**
 * Everything that went wrong in an upstream Control UI page: every request the gateway refused
 * (read off the WebSocket, whatever the app then shows), `unknown method` in the console, and
 * (by `problemsOnScreen`) error banners and unrenderable-schema notes anywhere in the document,
 * collapsed sections included.
 */
export class UpstreamUiWatch {
  readonly refused: string[] = [];
  readonly console: string[] = [];
  readonly #methods = new Map<string, string>();

  constructor(page: Page) {
    page.on('websocket', (ws) => {
      ws.on('framesent', ({ payload }) => {
        const frame = parse(payload) as { type?: string; id?: string; method?: string } | undefined;
        if (frame?.type === 'req' && frame.id && frame.method) this.#methods.set(frame.id, frame.method);
      });
      ws.on('framereceived', ({ payload }) => {
        const frame = parse(payload) as { type?: string; id?: string; ok?: boolean; error?: { code?: string; message?: string } } | undefined;
        if (frame?.type !== 'res' || frame.ok !== false) return;
        this.refused.push(`${this.#methods.get(frame.id ?? '') ?? '?'}: ${frame.error?.code} ${frame.error?.message}`);
      });
    });
    page.on('console', (message) => {
      if (/unknown method/i.test(message.text())) this.console.push(message.text());
    });
  }

  /** Error banners and "Unsupported …" notes in the document now, with the text each shows. */
  async problemsOnScreen(page: Page): Promise<string[]> {
    const found = await page.evaluate((selectors) => {
      const out: string[] = [];
      for (const selector of selectors) {
        for (const el of Array.from(document.querySelectorAll(selector))) out.push(`${selector}: ${(el.textContent ?? '').replace(/\s+/g, ' ').trim().slice(0, 200)}`);
      }
      out.push(`text: ${document.body.textContent ?? ''}`);
      return out;
    }, UPSTREAM_ERROR_SELECTORS);
    const text = found.pop()!;
    for (const pattern of TROUBLE_TEXT) {
      const match = pattern.exec(text);
      if (match) found.push(`text: …${text.slice(Math.max(0, match.index - 80), match.index + 120).replace(/\s+/g, ' ')}…`);
    }
    return found;
  }
}

function parse(payload: string | Buffer): unknown {
  try {
    return JSON.parse(String(payload));
  } catch {
    return undefined;
  }
}
