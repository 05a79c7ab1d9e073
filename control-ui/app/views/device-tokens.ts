import type { PairedDevice } from '../../../lib/protocol/generated/types.js';
import type { ControlSession } from '../control-session.js';
import { badge, errorMessage, formatAgo, h, replaceChildren } from '../dom.js';
import { inBackground } from './view.js';

export interface DeviceTokenActionsOptions {
  session: ControlSession;
  /** Where outcomes go: the new token after a rotate, an error with its method. */
  output: HTMLElement;
  /** The device list changed (rotated or revoked). */
  onChange: () => void;
  /**
   * Revoke buttons clicked once and waiting for the confirming click, by `deviceId role`. Owned by
   * the view, so a refresh of the list (a presence or pairing event) does not disarm them.
   */
  armed: Set<string>;
}

/**
 * The tokens of one paired device, one per role, with rotate (`device.token.rotate`: a new token,
 * shown once, the old one stops working) and revoke (`device.token.revoke`, asked twice).
 */
export function deviceTokenActions(device: PairedDevice, name: string, options: DeviceTokenActionsOptions): HTMLElement {
  const tokens = device.tokens ?? [];
  if (tokens.length === 0) return h('span', { class: 'muted' }, 'no tokens');
  return h(
    'ul',
    { class: 'token-list' },
    ...tokens.map((t) => {
      const state = t.revokedAtMs ? badge('revoked', 'bad') : badge(t.lastUsedAtMs ? `used ${formatAgo(t.lastUsedAtMs)}` : 'unused', t.lastUsedAtMs ? 'ok' : 'muted');
      const what = `${t.role} token of ${name}`;
      const rotate = h('button', { type: 'button', 'aria-label': `Rotate ${what}` }, 'Rotate');
      const key = `${device.deviceId} ${t.role}`;
      const revoke = h('button', { type: 'button', class: 'danger', 'aria-label': `Revoke ${what}`, disabled: Boolean(t.revokedAtMs) }, 'Revoke');
      const arm = () => {
        revoke.dataset.armed = 'true';
        revoke.textContent = 'Confirm revoke';
        revoke.setAttribute('aria-label', `Confirm revoke ${what}`);
      };
      if (options.armed.has(key) && !t.revokedAtMs) arm();
      rotate.addEventListener('click', () => inBackground(options.session, 'device tokens', rotateToken(device, t.role, t.scopes, what, options)));
      revoke.addEventListener('click', () => {
        // The first click only arms the button: revoking signs the device out.
        if (revoke.dataset.armed !== 'true') {
          options.armed.add(key);
          arm();
          return;
        }
        options.armed.delete(key);
        revoke.disabled = true;
        inBackground(options.session, 'device tokens', revokeToken(device, t.role, what, options));
      });
      return h('li', {}, h('span', {}, t.role, ' ', state), ' ', h('span', { class: 'actions' }, rotate, revoke));
    }),
  );
}

async function rotateToken(device: PairedDevice, role: string, scopes: string[], what: string, options: DeviceTokenActionsOptions): Promise<void> {
  try {
    const result = await options.session.client.call('device.token.rotate', { deviceId: device.deviceId, role, scopes });
    const id = `rotated-${device.deviceId.slice(0, 12)}-${role}`.replace(/[^A-Za-z0-9_-]/g, '_');
    replaceChildren(
      options.output,
      h(
        'div',
        { class: 'notice', role: 'status' },
        h('p', {}, `Rotated the ${what}. The old token no longer works; give this one to the device (it is shown only now).`),
        h('label', { for: id }, `New ${what}`),
        h('input', { id, type: 'text', readonly: true, value: result.token, class: 'mono', 'data-testid': 'rotated-token' }),
      ),
    );
  } catch (err) {
    fail(options, 'device.token.rotate', err);
  }
  options.onChange();
}

async function revokeToken(device: PairedDevice, role: string, what: string, options: DeviceTokenActionsOptions): Promise<void> {
  try {
    await options.session.client.call('device.token.revoke', { deviceId: device.deviceId, role });
    replaceChildren(options.output, h('p', { class: 'ok-text', role: 'status' }, `Revoked the ${what}.`));
  } catch (err) {
    fail(options, 'device.token.revoke', err);
  }
  options.onChange();
}

function fail(options: DeviceTokenActionsOptions, method: string, err: unknown): void {
  options.session.reportError(method, err);
  replaceChildren(options.output, h('p', { class: 'error', role: 'alert', 'data-method': method }, `${method} failed: ${errorMessage(err)}`));
}
