import type { ConfigManager } from '../config/config-manager.js';
import type { GatewayPlugin } from '../plugin.js';
import { configService } from '../services.js';

/**
 * `config.get|set|patch|apply|schema` (admin scope) over the manager's config file; the manager
 * is also offered as `configService`. The host listens to its `restart-requested` event.
 */
export function configPlugin(manager: ConfigManager): GatewayPlugin {
  return {
    name: 'config',
    setup(gateway) {
      gateway.provide(configService, manager);
      gateway.registerMethod('config.get', () => manager.get());
      gateway.registerMethod('config.set', (params) => manager.set(params));
      gateway.registerMethod('config.patch', (params) => manager.patch(params));
      gateway.registerMethod('config.apply', (params) => manager.apply(params));
      // Seed-era dashboards (protocol 3) render the schema field by field and cannot show unions of different types.
      gateway.registerMethod('config.schema', (_params, ctx) => manager.schema({ formReady: (ctx.session?.protocol ?? 3) < 4 }));
    },
  };
}
