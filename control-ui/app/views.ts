// Shared by the app (navigation) and the server (which paths answer with the SPA): no imports.

/** The Control UI's views, in navigation order; each is also a URL path under the base path. */
export const CONTROL_UI_VIEWS = [
  { id: 'overview', title: 'Overview' },
  { id: 'presence', title: 'Presence' },
  { id: 'channels', title: 'Channels' },
  { id: 'nodes', title: 'Nodes & devices' },
  { id: 'chat', title: 'Chat' },
  { id: 'sessions', title: 'Sessions' },
  { id: 'usage', title: 'Usage' },
  { id: 'logs', title: 'Logs' },
  { id: 'cron', title: 'Cron jobs' },
  { id: 'skills', title: 'Skills' },
  { id: 'debug', title: 'Debug' },
  { id: 'config', title: 'Config' },
] as const;

export type ControlUiViewId = (typeof CONTROL_UI_VIEWS)[number]['id'];
