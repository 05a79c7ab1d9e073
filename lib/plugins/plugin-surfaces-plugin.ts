import { GatewayError } from '../errors.js';
import type { GatewayPlugin } from '../plugin.js';

/**
 * `plugin.surface.refresh` (operators) and `node.pluginSurface.refresh` (nodes): the current URL of
 * a hosted surface named in `hello-ok.pluginSurfaceUrls`. The URLs here do not expire, so a
 * refresh confirms the one the client holds; an unknown surface is refused.
 */
export function pluginSurfacesPlugin(surfaces: Readonly<Record<string, string>>): GatewayPlugin {
  let offs: Array<() => void> = [];
  return {
    name: 'plugin-surfaces',
    setup(gateway) {
      const refresh = ({ surface }: { surface: string }) => {
        const url = Object.hasOwn(surfaces, surface) ? surfaces[surface] : undefined;
        if (url === undefined) throw new GatewayError('UNAVAILABLE', `no plugin surface "${surface}" on this gateway`, { details: { surface } });
        return { surface, pluginSurfaceUrls: { [surface]: url } };
      };
      offs = [gateway.registerMethod('plugin.surface.refresh', refresh), gateway.registerMethod('node.pluginSurface.refresh', refresh)];
    },
    stop() {
      for (const off of offs.splice(0)) off();
    },
  };
}
