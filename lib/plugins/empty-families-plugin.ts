import type { GatewayPlugin } from '../plugin.js';

/**
 * Protocol 4 families this gateway does not build, answered with the truth today's clients can
 * use: no background tasks, progress cards, session branches (transcripts are linear), companion
 * exchanges, structured questions, plugin or system-agent approvals exist here. The lists are
 * empty rather than unknown methods, so a client's views load instead of showing errors.
 */
export function emptyFamiliesPlugin(): GatewayPlugin {
  let offs: Array<() => void> = [];
  return {
    name: 'empty-families',
    setup(gateway) {
      offs = [
        gateway.registerMethod('tasks.list', () => ({ tasks: [] })),
        gateway.registerMethod('progressCard.get', () => ({ card: null })),
        gateway.registerMethod('sessions.branches.list', () => ({ branches: [] })),
        gateway.registerMethod('sessions.companion.state', () => ({ exchanges: [] })),
        gateway.registerMethod('sessions.observer.visibility', () => ({ ok: true as const })),
        gateway.registerMethod('question.list', () => ({ questions: [] })),
        gateway.registerMethod('plugin.approval.list', () => []),
        gateway.registerMethod('openclaw.approval.list', () => []),
      ];
    },
    stop() {
      for (const off of offs.splice(0)) off();
    },
  };
}
