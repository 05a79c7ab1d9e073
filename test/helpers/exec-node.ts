import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExecApprovalsStore } from '../../lib/approvals/exec-approvals-store.js';
import { FileStorage } from '../../lib/file-storage.js';
import { browserPlugin, type BrowserPluginOptions } from '../../lib/plugins/browser-plugin.js';
import { corePlugins } from '../../lib/core-plugins.js';
import { execApprovalsPlugin } from '../../lib/plugins/exec-approvals-plugin.js';
import type { Clock } from '../../lib/clock.js';
import type { NodeInvokeRequestPayload } from '../../lib/protocol/generated/types.js';
import { startNode, startWsGateway, type NodeAnswer, type TestNode, type TestNodeOptions, type WsGateway } from './nodes.js';

/** A gateway over WebSocket with exec approvals and browser.request, its state in a temp dir. */
export interface ApprovalsGateway extends WsGateway {
  stateDir: string;
}

export async function startApprovalsGateway(options: { clock?: Clock; browser?: BrowserPluginOptions; approvalTimeoutMs?: number } = {}): Promise<ApprovalsGateway> {
  const stateDir = await mkdtemp(join(tmpdir(), 'approvals-gw-'));
  const storage = new FileStorage(stateDir);
  const gw = await startWsGateway({
    storage,
    ...(options.clock ? { clock: options.clock } : {}),
    plugins: [
      ...corePlugins({ storage }),
      execApprovalsPlugin({ storage, approvalTimeoutMs: options.approvalTimeoutMs }),
      browserPlugin(options.browser),
    ],
  });
  return {
    ...gw,
    stateDir,
    async close() {
      await gw.close();
      await rm(stateDir, { recursive: true, force: true });
    },
  };
}

export interface ExecNode extends TestNode {
  /** The node's own approvals file, as `system.execApprovals.get|set` serve it. */
  approvals: ExecApprovalsStore;
  close(): Promise<void>;
}

/**
 * A node host stand-in: `system.run` really runs the argv (execFile, no shell),
 * `system.execApprovals.get|set` serve an approvals file in its own temp dir, and `browser.proxy`
 * (when `browserControlUrl` is given) forwards to that local browser-control server.
 */
export async function startExecNode(url: string, options: TestNodeOptions & { browserControlUrl?: string } = {}): Promise<ExecNode> {
  const dir = await mkdtemp(join(tmpdir(), 'exec-node-'));
  const approvals = new ExecApprovalsStore({ storage: new FileStorage(dir) });
  const { browserControlUrl, ...rest } = options;
  const answer = async (request: NodeInvokeRequestPayload): Promise<NodeAnswer> => {
    const params = (request.paramsJSON ? JSON.parse(request.paramsJSON) : {}) as Record<string, any>;
    switch (request.command) {
      case 'system.run':
        return { ok: true, payload: await run(params.command as string[], params.cwd as string | undefined) };
      case 'system.execApprovals.get':
        return { ok: true, payload: await approvals.snapshot() };
      case 'system.execApprovals.set':
        try {
          return { ok: true, payload: await approvals.set(params.file, params.baseHash) };
        } catch (err) {
          return { ok: false, error: { code: 'INVALID_REQUEST', message: (err as Error).message } };
        }
      case 'browser.proxy': {
        const target = new URL(params.path as string, browserControlUrl);
        for (const [k, v] of Object.entries((params.query ?? {}) as Record<string, string>)) target.searchParams.set(k, String(v));
        const res = await fetch(target, { method: params.method as string, ...(params.body === undefined ? {} : { body: JSON.stringify(params.body), headers: { 'content-type': 'application/json' } }) });
        return { ok: true, payload: { result: await res.json() } };
      }
      default:
        return { ok: false, error: { code: 'INVALID_REQUEST', message: `unknown command ${request.command}` } };
    }
  };
  const commands = ['system.run', 'system.execApprovals.get', 'system.execApprovals.set', ...(browserControlUrl ? ['browser.proxy'] : [])];
  const node = await startNode(url, { caps: browserControlUrl ? ['browser', 'system'] : ['system'], commands, answer, ...rest });
  return {
    ...node,
    approvals,
    async close() {
      node.client.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function run(argv: string[], cwd: string | undefined): Promise<Record<string, unknown>> {
  return new Promise((resolve) => {
    execFile(argv[0]!, argv.slice(1), { cwd, timeout: 10_000 }, (err, stdout, stderr) => {
      const exitCode = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ exitCode, timedOut: false, success: exitCode === 0, stdout, stderr, error: err && typeof err.code !== 'number' ? err.message : null });
    });
  });
}
