import { h, table } from '../../dom.js';
import { displayValue, type ConfigChange } from './config-diff.js';

/** The changes about to be sent, setting by setting, secrets masked on both sides. */
export function diffTable(changes: ConfigChange[]): HTMLElement {
  return table(
    'Changes to apply',
    ['Setting', 'Before', 'After'],
    changes.map((c) => [
      h('code', {}, c.path.join('.')),
      h('span', { class: 'cfg-before mono' }, displayValue(c.before, c.sensitive)),
      h('span', { class: 'cfg-after mono' }, displayValue(c.after, c.sensitive)),
    ]),
    'No changes.',
  );
}
