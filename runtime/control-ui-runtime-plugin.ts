import { createControlUiRoute, normalizeControlUiBasePath } from '../control-ui/control-ui-route.js';
import type { RuntimePlugin } from './runtime-plugin.js';

export interface ControlUiRuntimePluginOptions {
  /** Where the built app lives; default: this package's `dist/control-ui`. */
  assetsDir?: string;
}

/**
 * Serves the browser Control UI on the gateway port (docs/protocol.md, Control UI) unless
 * `gateway.controlUi.enabled` is false. Last in routing order: every other route goes first.
 */
export function controlUiRuntimePlugin(options: ControlUiRuntimePluginOptions = {}): RuntimePlugin {
  return {
    name: 'control-ui',
    setup({ config, http, logger }) {
      const controlUi = config.gateway?.controlUi;
      if (controlUi?.enabled === false) return;
      const basePath = normalizeControlUiBasePath(controlUi?.basePath);
      http.add(createControlUiRoute({ basePath, assetsDir: options.assetsDir, logger }));
    },
  };
}
