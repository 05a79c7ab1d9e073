import { homedir, networkInterfaces } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { resolveCanvasPort } from '../lib/config/paths.js';
import { LazyCanvasHost } from './lazy-canvas-host.js';
import { A2UI_PATH } from '../control-ui/a2ui-paths.js';
import { lazyRoute } from './lazy-route.js';
import { isEnvFlagSet } from './env-flag.js';
import { pluginSurfacesPlugin } from '../lib/plugins/plugin-surfaces-plugin.js';
import type { RuntimeContext, RuntimePlugin } from './runtime-plugin.js';

/**
 * The canvas host (docs/protocol.md, Canvas host): `<workspace>/canvas` (or `canvasHost.root`) served at
 * `/__openclaw__/canvas/` (and the A2UI page at `/__openclaw__/a2ui/`) on its own port, on the gateway's bind hosts, and advertised to clients
 * as `hello-ok.canvasHostUrl` (protocol 4: `pluginSurfaceUrls.canvas`, refreshed by `plugin.surface.refresh`). Off with `canvasHost.enabled: false` or OPENCLAW_SKIP_CANVAS_HOST=1,
 * and in --stdio mode (no network listener to sit next to).
 *
 * It is an extra for nodes, so a canvas port someone else holds is logged and the gateway runs on
 * without it; a malformed port setting still stops the start like any config error.
 */
export interface CanvasHostRuntimePluginOptions {
  /** The built A2UI page the canvas host serves at `/__openclaw__/a2ui/`; default: this package's `dist/a2ui`. */
  a2uiAssetsDir?: string;
}

export function canvasHostRuntimePlugin(options: CanvasHostRuntimePluginOptions = {}): RuntimePlugin {
  let host: LazyCanvasHost | undefined;
  let advertised: string | undefined;
  /** The port the OS picked on a first start, kept across in-process restarts like the gateway's. */
  let picked: number | undefined;
  return {
    name: 'canvas-host',
    async gatewayOptions(ctx) {
      advertised = undefined;
      const config = ctx.config.canvasHost ?? {};
      if (config.enabled === false || isEnvFlagSet(ctx.env.OPENCLAW_SKIP_CANVAS_HOST) || ctx.port === 0) return {};
      const wanted = resolveCanvasPort(ctx.env, ctx.config, ctx.requestedPort);
      const root = config.root === undefined ? join(ctx.workspaceDir, 'canvas') : resolveRoot(config.root, ctx);
      const canvas = new LazyCanvasHost({
        root,
        port: wanted === 0 && picked !== undefined ? picked : wanted,
        host: ctx.hosts,
        liveReload: config.liveReload ?? true,
        logger: ctx.logger,
      });
      let port: number;
      try {
        port = (await canvas.listen()).port;
      } catch (err) {
        await canvas.close();
        ctx.logger.log('error', 'canvas', `canvas host not started: ${(err as Error).message}; set canvasHost.port or OPENCLAW_CANVAS_HOST_PORT, or turn it off with canvasHost.enabled=false`);
        return {};
      }
      if (wanted === 0) picked = port;
      host = canvas;
      const url = `http://${urlHost(advertisedHost(ctx.hosts[0]!))}:${port}`;
      advertised = url;
      ctx.logger.log('info', 'canvas', `canvas host on ${url}/__openclaw__/canvas/ (root ${root})`);
      return { canvasHostUrl: url };
    },
    gatewayPlugins: () => (advertised ? [pluginSurfacesPlugin({ canvas: advertised })] : []),
    setup({ gateway, logger }) {
      // Nodes open the A2UI page at `canvasHostUrl`; its clicks post back to this same origin.
      host?.addRoute(
        lazyRoute(
          (path) => path === A2UI_PATH || path.startsWith(`${A2UI_PATH}/`),
          async () => (await import('../control-ui/a2ui-route.js')).createA2uiRoute({ gateway, assetsDir: options.a2uiAssetsDir, logger }),
        ),
      );
    },
    async stop() {
      await host?.close();
      host = undefined;
    },
  };
}

/** `~` is the user's home; a relative root is relative to the config file, not the cwd. */
function resolveRoot(root: string, ctx: RuntimeContext): string {
  const home = ctx.env.HOME ?? homedir();
  if (root === '~') return home;
  if (root.startsWith('~/')) return join(home, root.slice(2));
  return resolve(dirname(ctx.configPath), root);
}

/** A wildcard bind is reachable on every interface; nodes get the first external IPv4 one. */
function advertisedHost(bindHost: string): string {
  if (bindHost !== '0.0.0.0' && bindHost !== '::') return bindHost;
  for (const addresses of Object.values(networkInterfaces())) {
    const external = addresses?.find((a) => a.family === 'IPv4' && !a.internal);
    if (external) return external.address;
  }
  return '127.0.0.1';
}

function urlHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}
