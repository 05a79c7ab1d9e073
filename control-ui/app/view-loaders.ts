import type { ControlUiViewId } from './views.js';
import type { View, ViewContext } from './views/view.js';

/**
 * How each view is made. Each is a dynamic import, so esbuild puts every view in its own chunk and
 * the first paint loads only the shell and the view the URL names.
 */
export const VIEW_LOADERS: Record<ControlUiViewId, (ctx: ViewContext) => Promise<View>> = {
  overview: async (ctx) => new (await import('./views/overview-view.js')).OverviewView(ctx),
  presence: async (ctx) => new (await import('./views/presence-view.js')).PresenceView(ctx),
  channels: async (ctx) => new (await import('./views/channels-view.js')).ChannelsView(ctx),
  nodes: async (ctx) => new (await import('./views/nodes-view.js')).NodesView(ctx),
  chat: async (ctx) => new (await import('./views/chat-view.js')).ChatView(ctx),
  sessions: async (ctx) => new (await import('./views/sessions-view.js')).SessionsView(ctx),
  usage: async (ctx) => new (await import('./views/usage-view.js')).UsageView(ctx),
  logs: async (ctx) => new (await import('./views/logs-view.js')).LogsView(ctx),
  cron: async (ctx) => new (await import('./views/cron-view.js')).CronView(ctx),
  skills: async (ctx) => new (await import('./views/skills-view.js')).SkillsView(ctx),
  debug: async (ctx) => new (await import('./views/debug-view.js')).DebugView(ctx),
  config: async (ctx) => new (await import('./views/config-view.js')).ConfigView(ctx),
};
