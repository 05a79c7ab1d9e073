import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { EXIT_CONFIG } from '../../bin/exit-codes.js';
import { evaluateConfig } from '../../lib/config/index.js';
import { drainTimeoutMs } from '../../lib/config/own-settings.js';
import { PROBE_PATHS } from '../../runtime/probes-runtime-plugin.js';
import { findFreePort, killAll, makeEnv, spawnCli, type CliProcess } from '../bin/helpers.js';

const DEPLOY = join(import.meta.dirname, '../../deploy');
const run = promisify(execFile);
const temps: string[] = [];

afterEach(async () => {
  await killAll();
  for (const dir of temps.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'openclaw-deploy-'));
  temps.push(dir);
  return dir;
}

/** Dockerfile instructions (continuation lines joined, comments dropped), grouped by stage. */
function dockerStages(text: string): Array<Array<{ op: string; args: string }>> {
  const joined = text.replace(/\\\n/g, ' ');
  const stages: Array<Array<{ op: string; args: string }>> = [];
  for (const line of joined.split('\n')) {
    const trimmed = line.trim();
    if (!trimmed || trimmed.startsWith('#')) continue;
    const [, op = '', args = ''] = /^(\S+)\s+(.*)$/.exec(trimmed) ?? [];
    if (op.toUpperCase() === 'FROM') stages.push([]);
    stages.at(-1)!.push({ op: op.toUpperCase(), args: args.trim() });
  }
  return stages;
}

function dockerEnv(stage: Array<{ op: string; args: string }>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const { op, args } of stage) {
    if (op !== 'ENV') continue;
    for (const [, key, value] of args.matchAll(/(\w+)=(\S+)/g)) env[key!] = value!;
  }
  return env;
}

function exec(stage: Array<{ op: string; args: string }>, op: string): string[] {
  const found = stage.filter((i) => i.op === op).at(-1);
  return found ? (JSON.parse(found.args) as string[]) : [];
}

/** A systemd unit as key → values (repeated keys kept in order). */
function unitEntries(text: string): Map<string, string[]> {
  const entries = new Map<string, string[]>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    const eq = line.indexOf('=');
    if (!line || line.startsWith('#') || line.startsWith('[') || eq < 0) continue;
    entries.set(line.slice(0, eq), [...(entries.get(line.slice(0, eq)) ?? []), line.slice(eq + 1)]);
  }
  return entries;
}

/** `openclaw <args>` as the image or unit runs it, from this checkout. */
async function startCommand(command: string[], env: Record<string, string>, listening: RegExp): Promise<{ proc: CliProcess; port: number }> {
  expect(command[0]).toMatch(/(^|\/)openclaw$/);
  const t = await makeEnv(env);
  const proc = spawnCli(command.slice(1), t);
  const match = await proc.waitFor(listening, 20_000);
  return { proc, port: Number(match[1]) };
}

async function probe(port: number, path: string): Promise<{ status: number; body: any }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: res.status, body: await res.json() };
}

describe('deploy/Dockerfile', () => {
  it('builds in two stages and runs as a non-root user with the state on a volume', async () => {
    const stages = dockerStages(await readFile(join(DEPLOY, 'Dockerfile'), 'utf8'));
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const final = stages.at(-1)!;
    const env = dockerEnv(final);
    expect(final.filter((i) => i.op === 'USER').at(-1)?.args).toBe('node');
    expect(JSON.parse(final.find((i) => i.op === 'VOLUME')!.args)).toEqual([env.OPENCLAW_STATE_DIR]);
    expect(final.find((i) => i.op === 'EXPOSE')!.args).toBe(env.OPENCLAW_GATEWAY_PORT);
    expect(final.some((i) => i.op === 'COPY' && i.args.includes('--from=build'))).toBe(true);
  });

  it("the entrypoint serves /healthz and /readyz on the exposed port, its HEALTHCHECK passes, and SIGTERM exits 0", async () => {
    const final = dockerStages(await readFile(join(DEPLOY, 'Dockerfile'), 'utf8')).at(-1)!;
    const state = await tempDir();
    const port = await findFreePort();
    const env = { ...dockerEnv(final), OPENCLAW_STATE_DIR: state, OPENCLAW_GATEWAY_PORT: String(port), OPENCLAW_GATEWAY_TOKEN: 'docker-token-0123456789abcdef' };
    const { proc } = await startCommand([...exec(final, 'ENTRYPOINT'), ...exec(final, 'CMD')], env, /listening on ws:\/\/0\.0\.0\.0:(\d+)/);
    expect(await probe(port, PROBE_PATHS.health)).toMatchObject({ status: 200, body: { ok: true } });
    expect(await probe(port, PROBE_PATHS.ready)).toMatchObject({ status: 200, body: { ready: true } });

    const healthcheck = final.find((i) => i.op === 'HEALTHCHECK')!.args;
    const command = JSON.parse(healthcheck.slice(healthcheck.indexOf('CMD') + 3).trim()) as string[];
    expect(command[0]).toBe('node');
    await run(process.execPath, command.slice(1), { env: { ...process.env, OPENCLAW_GATEWAY_PORT: String(port) } });

    proc.child.kill('SIGTERM');
    expect((await proc.wait(15_000)).code).toBe(0);
  }, 40_000);
});

describe('deploy/systemd/openclaw-gateway@.service', () => {
  async function unit() {
    const entries = unitEntries(await readFile(join(DEPLOY, 'systemd/openclaw-gateway@.service'), 'utf8'));
    const envFile = unitEntries(await readFile(join(DEPLOY, 'systemd/tenant.env.example'), 'utf8'));
    return { entries, envFile };
  }

  it('does not restart on an invalid config, and gives the drain time before it kills', async () => {
    const { entries } = await unit();
    expect(entries.get('RestartPreventExitStatus')).toEqual([String(EXIT_CONFIG)]);
    expect(entries.get('Restart')).toEqual(['always']);
    expect(Number(entries.get('TimeoutStopSec')![0])).toBeGreaterThan(drainTimeoutMs({}) / 1000);
    expect(entries.get('StateDirectory')).toEqual(['openclaw/%i']);
    expect(entries.get('Environment')).toContain('OPENCLAW_STATE_DIR=/var/lib/openclaw/%i');
  });

  async function tenantCommand(tenant: string, state: string, port: number) {
    const { entries, envFile } = await unit();
    const env: Record<string, string> = {};
    for (const assignment of [...entries.get('Environment')!, ...[...envFile].map(([k, v]) => `${k}=${v.at(-1)}`)]) {
      const at = assignment.indexOf('=');
      env[assignment.slice(0, at)] = assignment.slice(at + 1).replaceAll('%i', tenant);
    }
    expect(entries.get('EnvironmentFile')).toEqual(['/etc/openclaw/%i.env']);
    expect(env.OPENCLAW_STATE_DIR).toBe(`/var/lib/openclaw/${tenant}`);
    // Where systemd would have created StateDirectory=, and the tenant's own port.
    Object.assign(env, { OPENCLAW_STATE_DIR: state, OPENCLAW_GATEWAY_PORT: String(port) });
    return { command: entries.get('ExecStart')![0]!.replaceAll('%i', tenant).split(/\s+/), env };
  }

  it("ExecStart serves one tenant from its own state dir on its own port, and SIGTERM stops it with 0", async () => {
    const state = await tempDir();
    const port = await findFreePort();
    const { command, env } = await tenantCommand('acme', state, port);
    const { proc, port: bound } = await startCommand(command, env, /listening on ws:\/\/127\.0\.0\.1:(\d+)/);
    expect(bound).toBe(port);
    expect(await probe(port, PROBE_PATHS.ready)).toMatchObject({ status: 200, body: { ready: true } });
    proc.child.kill('SIGTERM');
    expect((await proc.wait(15_000)).code).toBe(0);
  }, 40_000);

  it('ExecStart with an invalid config exits with the status RestartPreventExitStatus names', async () => {
    const state = await tempDir();
    await writeFile(join(state, 'openclaw.json'), JSON.stringify({ gateway: { bind: 'everywhere' } }));
    const { command, env } = await tenantCommand('broken', state, await findFreePort());
    const t = await makeEnv(env);
    const exit = await spawnCli(command.slice(1), t).wait(20_000);
    expect(exit.code).toBe(EXIT_CONFIG);
  }, 30_000);
});

describe('deploy/kubernetes/openclaw-tenant.yaml', () => {
  async function manifests(): Promise<Array<Record<string, any>>> {
    const docs = parseAllDocuments(await readFile(join(DEPLOY, 'kubernetes/openclaw-tenant.yaml'), 'utf8'));
    for (const doc of docs) expect(doc.errors).toEqual([]);
    return docs.map((doc) => doc.toJS() as Record<string, any>);
  }

  it('one replica per tenant, state on a claim template, probes on the real endpoints and port, preStop drain, a PDB', async () => {
    const docs = await manifests();
    const final = dockerStages(await readFile(join(DEPLOY, 'Dockerfile'), 'utf8')).at(-1)!;
    const imageEnv = dockerEnv(final);
    const set = docs.find((d) => d.kind === 'StatefulSet')!;
    expect(set.spec.replicas).toBe(1);
    const pod = set.spec.template.spec;
    const gateway = pod.containers.find((c: any) => c.name === 'gateway');
    const claim = set.spec.volumeClaimTemplates[0].metadata.name;
    expect(gateway.volumeMounts).toContainEqual({ name: claim, mountPath: imageEnv.OPENCLAW_STATE_DIR });
    const portNumber = (name: string | number) => (typeof name === 'number' ? name : gateway.ports.find((p: any) => p.name === name).containerPort);
    expect(String(portNumber('gateway'))).toBe(imageEnv.OPENCLAW_GATEWAY_PORT);
    expect(gateway.livenessProbe.httpGet.path).toBe(PROBE_PATHS.health);
    expect(gateway.startupProbe.httpGet.path).toBe(PROBE_PATHS.health);
    expect(gateway.readinessProbe.httpGet.path).toBe(PROBE_PATHS.ready);
    for (const probe of [gateway.livenessProbe, gateway.readinessProbe, gateway.startupProbe]) expect(String(portNumber(probe.httpGet.port))).toBe(imageEnv.OPENCLAW_GATEWAY_PORT);
    expect(pod.securityContext.runAsNonRoot).toBe(true);

    const configMap = docs.find((d) => d.kind === 'ConfigMap')!;
    const { config } = await evaluateConfig(JSON.parse(configMap.data['openclaw.json']), 'configmap', {});
    const preStop = gateway.lifecycle.preStop.exec.command as string[];
    expect(preStop[0]).toBe('sleep');
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(Number(preStop[1]) + drainTimeoutMs(config) / 1000);

    const pdb = docs.find((d) => d.kind === 'PodDisruptionBudget')!;
    expect(pdb.spec.selector.matchLabels).toEqual(set.spec.selector.matchLabels);
    expect(set.spec.template.metadata.labels).toMatchObject(set.spec.selector.matchLabels);
    for (const service of docs.filter((d) => d.kind === 'Service')) expect(service.spec.selector).toEqual(set.spec.selector.matchLabels);
  });

  it("the init container seeds the config once, and the container's command serves it ready", async () => {
    const docs = await manifests();
    const set = docs.find((d) => d.kind === 'StatefulSet')!;
    const pod = set.spec.template.spec;
    const seed = pod.initContainers[0];
    const mounts = Object.fromEntries(seed.volumeMounts.map((m: any) => [m.name, m.mountPath]));
    const state = await tempDir();
    const configDir = await tempDir();
    const configMap = docs.find((d) => d.kind === 'ConfigMap')!;
    await writeFile(join(configDir, 'openclaw.json'), configMap.data['openclaw.json']);
    const script = (seed.command as string[]).at(-1)!.replaceAll(mounts.state, state).replaceAll(mounts.config, configDir);
    const [shell, flag] = seed.command as string[];
    await run(shell!, [flag!, script]);
    expect(JSON.parse(await readFile(join(state, 'openclaw.json'), 'utf8'))).toEqual(JSON.parse(configMap.data['openclaw.json']));
    // A later start keeps what was edited in the volume since.
    await writeFile(join(state, 'openclaw.json'), '{"gateway":{"mode":"local","bind":"lan"}}');
    await run(shell!, [flag!, script]);
    expect(await readFile(join(state, 'openclaw.json'), 'utf8')).toBe('{"gateway":{"mode":"local","bind":"lan"}}');

    const final = dockerStages(await readFile(join(DEPLOY, 'Dockerfile'), 'utf8')).at(-1)!;
    const gateway = pod.containers.find((c: any) => c.name === 'gateway');
    const port = await findFreePort();
    await mkdir(state, { recursive: true });
    const env = { ...dockerEnv(final), OPENCLAW_STATE_DIR: state, OPENCLAW_GATEWAY_PORT: String(port), OPENCLAW_GATEWAY_TOKEN: 'k8s-token-0123456789abcdef' };
    const { proc } = await startCommand([...exec(final, 'ENTRYPOINT'), ...gateway.args], env, /listening on ws:\/\/0\.0\.0\.0:(\d+)/);
    expect(await probe(port, gateway.readinessProbe.httpGet.path)).toMatchObject({ status: 200, body: { ready: true } });
    proc.child.kill('SIGTERM');
    expect((await proc.wait(15_000)).code).toBe(0);
  }, 40_000);
});

describe('deploy/proxy/Caddyfile', () => {
  it('routes each tenant host name to its own loopback gateway, keeps probes and metrics internal', async () => {
    const text = await readFile(join(DEPLOY, 'proxy/Caddyfile'), 'utf8');
    const sites = [...text.matchAll(/^([a-z0-9.-]+\.[a-z]+) \{\n\timport gateway (\S+)\n\}/gm)].map(([, host, upstream]) => ({ host, upstream }));
    expect(sites.length).toBeGreaterThanOrEqual(2);
    expect(new Set(sites.map((s) => s.host)).size).toBe(sites.length);
    expect(new Set(sites.map((s) => s.upstream)).size).toBe(sites.length);
    for (const { upstream } of sites) expect(upstream).toMatch(/^127\.0\.0\.1:\d+$/);
    const tenantPort = unitEntries(await readFile(join(DEPLOY, 'systemd/tenant.env.example'), 'utf8')).get('OPENCLAW_GATEWAY_PORT')![0];
    expect(sites.map((s) => s.upstream)).toContain(`127.0.0.1:${tenantPort}`);
    const internal = /@internal path ([^\n]+)/.exec(text)![1]!.split(/\s+/);
    expect(internal).toEqual(expect.arrayContaining(Object.values(PROBE_PATHS)));
    expect(text).toMatch(/respond @internal 404/);
  });
});
