import { settledWithin, systemClock, type Clock } from '../lib/clock.js';
import type { Gateway } from '../lib/gateway.js';
import type { Logger } from '../lib/logger.js';
import { agentsService } from '../lib/services.js';
import type { RuntimeDrainContext } from './runtime-plugin.js';

/** How long aborted runs get to settle after the deadline. */
const ABORT_SETTLE_MS = 2000;

export interface DrainOptions extends RuntimeDrainContext {
  /** How long in-flight work may take (`drainTimeoutMs`); 0 aborts the agent runs at once. */
  deadlineMs: number;
  logger: Logger;
  clock?: Clock;
}

/** What was still going when a drain ended. */
export interface DrainResult {
  /** Whether everything finished before the deadline. */
  drained: boolean;
  requests: number;
  runs: number;
  ms: number;
}

/**
 * The graceful part of a stop: refuses new WebSocket peers, then waits until no client request
 * and no agent run is in flight, for up to `deadlineMs`. Work that started meanwhile (a connected
 * client may still send) is waited for too. Runs still going at the deadline are aborted, so the
 * agents' own stop does not wait a second deadline; the caller then closes the gateway.
 */
export async function drainGateway({ gateway, transport, deadlineMs, logger, clock = systemClock }: DrainOptions): Promise<DrainResult> {
  transport?.refuseNew();
  const agents = gateway.optionalService(agentsService);
  const started = clock.now();
  let announced = false;
  for (;;) {
    const runs = agents?.runner.active() ?? [];
    const requests = runningRequests(gateway);
    const ms = clock.now() - started;
    if (requests === 0 && runs.length === 0) {
      if (announced) logger.log('info', 'gateway', `drained in ${ms} ms`);
      return { drained: true, requests, runs: 0, ms };
    }
    const left = deadlineMs - ms;
    if (left <= 0) {
      for (const run of runs) run.abort('shutdown');
      // An aborted run ends within moments; its client hears that end before the connection closes.
      await settledWithin(runs.map((run) => run.done), ABORT_SETTLE_MS, clock);
      logger.log('warn', 'gateway', `drain deadline (${deadlineMs} ms) passed: ${runs.length} agent run(s) aborted, ${runningRequests(gateway)} request(s) cut off`);
      return { drained: false, requests: runningRequests(gateway), runs: runs.length, ms };
    }
    if (!announced) logger.log('info', 'gateway', `draining: up to ${deadlineMs} ms for ${requests} request(s) and ${runs.length} agent run(s) in flight`);
    announced = true;
    const idle = requestsIdle(gateway);
    await settledWithin([idle.done, ...runs.map((run) => run.done)], left, clock);
    idle.cancel();
  }
}

function runningRequests(gateway: Gateway): number {
  return gateway.activeRequests().filter((request) => request.running).length;
}

/** Resolves when no client request runs; `cancel` drops the listener when nobody waits any more. */
function requestsIdle(gateway: Gateway): { done: Promise<void>; cancel: () => void } {
  let off = (): void => {};
  const done = new Promise<void>((resolve) => {
    const check = () => {
      if (runningRequests(gateway) > 0) return;
      off();
      resolve();
    };
    off = gateway.on('request-completed', check);
    check();
  });
  return { done, cancel: () => off() };
}
