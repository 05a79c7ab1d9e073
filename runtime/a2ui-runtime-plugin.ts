import { A2UI_PATH } from '../control-ui/a2ui-paths.js';
import { lazyRoute } from './lazy-route.js';
import { isEnvFlagSet } from './env-flag.js';
import type { RuntimePlugin } from './runtime-plugin.js';

export interface A2uiRuntimePluginOptions {
  /** Where the built page lives; default: this package's `dist/a2ui`. */
  assetsDir?: string;
}

/**
 * Serves the A2UI host page on the gateway port at `/__openclaw__/a2ui/` (docs/protocol.md, A2UI),
 * before the Control UI in routing order. It belongs to the canvas, so `canvasHost.enabled: false`
 * and OPENCLAW_SKIP_CANVAS_HOST=1 turn it off as well; the canvas host serves the same page. The
 * route's module is loaded at the first request for that path.
 */
export function a2uiRuntimePlugin(options: A2uiRuntimePluginOptions = {}): RuntimePlugin {
  return {
    name: 'a2ui',
    setup({ config, env, gateway, http, logger }) {
      if (config.canvasHost?.enabled === false || isEnvFlagSet(env.OPENCLAW_SKIP_CANVAS_HOST)) return;
      http.add(
        lazyRoute(
          (path) => path === A2UI_PATH || path.startsWith(`${A2UI_PATH}/`),
          async () => (await import('../control-ui/a2ui-route.js')).createA2uiRoute({ gateway, assetsDir: options.assetsDir, logger }),
        ),
      );
    },
  };
}
