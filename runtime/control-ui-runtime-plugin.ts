import { dirname, resolve } from 'node:path';
import { normalizeControlUiBasePath } from '../control-ui/control-ui-paths.js';
import { lazyRoute } from './lazy-route.js';
import type { RuntimePlugin } from './runtime-plugin.js';

export interface ControlUiRuntimePluginOptions {
  /** Where the built app lives; default: this package's `dist/control-ui`. */
  assetsDir?: string;
}

/**
 * Serves the browser Control UI on the gateway port (docs/protocol.md, Control UI) unless
 * `gateway.controlUi.enabled` is false. Last in routing order: every other route goes first. The
 * route's module is loaded at the first request under the base path.
 */
export function controlUiRuntimePlugin(options: ControlUiRuntimePluginOptions = {}): RuntimePlugin {
  return {
    name: 'control-ui',
    setup({ config, configPath, http, logger }) {
      const controlUi = config.gateway?.controlUi;
      if (controlUi?.enabled === false) return;
      const basePath = normalizeControlUiBasePath(controlUi?.basePath);
      // `gateway.controlUi.root` serves another build of the app (upstream's, a fork) instead of ours.
      const root = controlUi?.root ? resolve(dirname(configPath), controlUi.root) : undefined;
      http.add(
        lazyRoute(
          (path) => path === basePath || path.startsWith(`${basePath}/`),
          async () => (await import('../control-ui/control-ui-route.js')).createControlUiRoute({ basePath, assetsDir: root ?? options.assetsDir, customApp: root !== undefined, logger }),
        ),
      );
    },
  };
}
