import type { IncomingMessage, ServerResponse } from 'node:http';
import { drainTimeoutMs, metricsSettings } from '../lib/config/own-settings.js';
import type { OpenClawConfig } from '../lib/config/index.js';
import type { Gateway } from '../lib/gateway.js';
import { isLocalPeer } from '../lib/is-local-peer.js';
import type { Logger } from '../lib/logger.js';
import { channelsService } from '../lib/services.js';
import { sendJson, sendText } from '../transports/http.js';
import { bearerAuth, requestPath, retryAfterHeader } from '../transports/http-body.js';
import { GatewayMetrics } from './gateway-metrics.js';
import { readinessReport } from './readiness.js';
import { drainGateway } from './runtime-drain.js';
import type { RuntimePlugin } from './runtime-plugin.js';

/** The paths this plugin answers on the gateway's HTTP port. */
export const PROBE_PATHS = { health: '/healthz', ready: '/readyz', metrics: '/metrics' } as const;

const NO_STORE = { 'cache-control': 'no-store' };

interface Running {
  gateway: Gateway;
  config: OpenClawConfig;
  logger: Logger;
}

/**
 * What an orchestrator needs of an instance, on the gateway's HTTP port: `GET /healthz` (the
 * process serves), `GET /readyz` (started, config valid, channels past their first connect
 * attempt, not draining), `GET /metrics` (Prometheus), and the graceful drain of a stop:
 * readiness goes false, new WebSocket peers are refused, in-flight requests and agent runs get
 * `drainTimeoutMs` to finish. Its routes go first, ahead of the Control UI's catch-all.
 */
export function probesRuntimePlugin(): RuntimePlugin {
  const metrics = new GatewayMetrics();
  let running: Running | undefined;
  let draining = false;

  const ready = (res: ServerResponse, head: boolean) => {
    const report = readinessReport({
      started: running !== undefined,
      draining,
      channels: running?.gateway.optionalService(channelsService)?.status(),
    });
    reply(res, report.ready ? 200 : 503, report, head);
  };

  const scrape = async (req: IncomingMessage, res: ServerResponse, head: boolean) => {
    const { gateway, config } = running!;
    const { auth } = metricsSettings(config);
    const local = isLocalPeer({ remoteAddress: req.socket.remoteAddress, headers: req.headers, trustedProxies: config.gateway?.trustedProxies });
    if (auth === 'token' || (auth === 'local' && !local)) {
      const result = bearerAuth(req, gateway);
      if (!result.ok) {
        const headers = result.status === 401 ? { 'www-authenticate': 'Bearer' } : retryAfterHeader(result);
        sendText(res, result.status, result.status === 401 ? 'Unauthorized' : 'Too Many Requests', headers);
        return;
      }
    }
    const { contentType, text } = await metrics.scrape();
    res.writeHead(200, { 'content-type': contentType, ...NO_STORE });
    res.end(head ? undefined : text);
  };

  return {
    name: 'probes',
    setup({ gateway, config, logger, http }) {
      running = { gateway, config, logger };
      draining = false;
      metrics.attach(gateway);
      http.add(async (req, res) => {
        const path = requestPath(req);
        const metricsOn = metricsSettings(config).enabled;
        if (path !== PROBE_PATHS.health && path !== PROBE_PATHS.ready && !(metricsOn && path === PROBE_PATHS.metrics)) return false;
        if (req.method !== 'GET' && req.method !== 'HEAD') {
          sendText(res, 405, 'Method Not Allowed', { allow: 'GET, HEAD' });
          return true;
        }
        const head = req.method === 'HEAD';
        if (path === PROBE_PATHS.health) reply(res, 200, { ok: true, status: draining ? 'draining' : 'running' }, head);
        else if (path === PROBE_PATHS.ready) ready(res, head);
        else await scrape(req, res, head);
        return true;
      });
    },
    async drain({ gateway, transport }) {
      draining = true;
      const logger = running?.logger;
      if (!logger || !running) return;
      try {
        await drainGateway({ gateway, transport, deadlineMs: drainTimeoutMs(running.config), logger });
      } catch (err) {
        logger.log('error', 'gateway', `drain failed, closing now: ${(err as Error).message}`);
      }
    },
    serveWhileDown(req, res) {
      const path = requestPath(req);
      if (path !== PROBE_PATHS.health && path !== PROBE_PATHS.ready) return false;
      const head = req.method === 'HEAD';
      if (path === PROBE_PATHS.health) reply(res, 200, { ok: true, status: draining ? 'stopped' : 'starting' }, head);
      else reply(res, 503, readinessReport({ started: false, draining }), head);
      return true;
    },
    stop() {
      metrics.detach();
      running = undefined;
    },
  };
}

function reply(res: ServerResponse, status: number, body: unknown, head: boolean): void {
  if (!head) return sendJson(res, status, body, NO_STORE);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...NO_STORE });
  res.end();
}
