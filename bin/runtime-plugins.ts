import type { RuntimePlugin } from './runtime-plugin.js';

/** Features assembled by `openclaw gateway`, in HTTP routing order (protocol §8). */
export function runtimePlugins(): RuntimePlugin[] {
  return [];
}
