import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import JSON5 from 'json5';
import { GatewayError, invalidRequest } from '../errors.js';
import { writeAtomic } from '../file-storage.js';
import { silentLogger, type Logger } from '../logger.js';
import type { OpenClawConfig } from '../protocol/generated/config.js';
import type {
  ConfigApplyParams,
  ConfigApplyResult,
  ConfigPatchParams,
  ConfigSchemaResult,
  ConfigSetParams,
  ConfigSetResult,
  ConfigSnapshot,
  ConfigValidationIssue,
  RestartSentinelPayload,
} from '../protocol/generated/types.js';
import { TypedEmitter } from '../typed-emitter.js';
import { rotateConfigBackups } from './config-backups.js';
import { withConfigDefaults } from './config-defaults.js';
import { collectSecrets, containsRedacted, redactConfigRaw, redactConfigValue, restoreRedactedValues } from './config-redaction.js';
import { buildConfigUiHints } from './config-ui-hints.js';
import { evaluateConfig, parseConfigText } from './load-config.js';
import { applyMergePatch, isPlainObject } from './merge-patch.js';
import type { EnvMap } from './paths.js';
import { writeRestartSentinel } from './restart-sentinel.js';
import { dereferenceSchema } from './dereference-schema.js';
import { formSchema } from './form-schema.js';

export const DEFAULT_CONFIG_RESTART_DELAY_MS = 2000;
export const MAX_CONFIG_RESTART_DELAY_MS = 60_000;

export interface ConfigManagerOptions {
  /** The config file this manager owns. */
  path: string;
  /** For `${VAR}` substitution while validating; defaults to `process.env`. */
  env?: EnvMap;
  /** Where the restart sentinel goes; without it `sentinel.path` is null. */
  stateDir?: string;
  /** Reported by `config.schema`. */
  version?: string;
  /** Named in the sentinel's doctor hint (`openclaw --profile <p> doctor`). */
  profile?: string;
  logger?: Logger;
  now?: () => number;
}

/** A restart `config.apply` / `config.patch` asks for; the host (GatewayRuntime) performs it. */
export interface ConfigRestartRequest {
  reason: string;
  delayMs: number;
  mode: 'config.apply' | 'config.patch' | 'update.run';
  sentinel: RestartSentinelPayload;
}

/** Who replaced the file: the config RPC, or a feature editing its own keys through {@link ConfigManager.edit}. */
export type ConfigWriter = 'config.set' | 'config.patch' | 'config.apply' | 'skills.update' | 'wizard';

export interface ConfigManagerEvents {
  'restart-requested': ConfigRestartRequest;
  /** The file was replaced through the RPC (`set`, `patch` or `apply`). */
  written: { path: string; hash: string; method: ConfigWriter };
}

interface FileState {
  exists: boolean;
  raw: string | null;
  hash: string;
  parsed: unknown;
  valid: boolean;
  config: OpenClawConfig;
  issues: ConfigValidationIssue[];
  warnings: ConfigValidationIssue[];
}

const GENERATED_AT = new Date().toISOString();

/**
 * Owns the config file for the config RPC (`config.*`): snapshots with secrets redacted,
 * validated writes guarded by the hash of the version the caller read, rotating backups, and the
 * restart request (with its sentinel) after `config.apply` / `config.patch`. Writes are serialised.
 */
let dereferenced: Record<string, unknown> | undefined;
let formReady: Record<string, unknown> | undefined;

export class ConfigManager {
  readonly #options: ConfigManagerOptions;
  readonly #logger: Logger;
  readonly #emitter: TypedEmitter<ConfigManagerEvents>;
  #chain: Promise<unknown> = Promise.resolve();

  constructor(options: ConfigManagerOptions) {
    this.#options = options;
    this.#logger = options.logger ?? silentLogger;
    this.#emitter = new TypedEmitter<ConfigManagerEvents>((err, event) =>
      this.#logger.log('error', 'gateway/config', `listener for ${String(event)} failed: ${(err as Error).message}`),
    );
  }

  get path(): string {
    return this.#options.path;
  }

  on<K extends keyof ConfigManagerEvents>(event: K, listener: (payload: ConfigManagerEvents[K]) => void): () => void {
    return this.#emitter.on(event, listener);
  }

  /** `config.get`: the file as stored and as validated, secrets replaced by `__OPENCLAW_REDACTED__`. */
  async get(): Promise<ConfigSnapshot> {
    const state = await this.#read();
    const secrets = collectSecrets(state.parsed);
    return {
      path: this.path,
      exists: state.exists,
      raw: state.raw === null ? null : redactConfigRaw(state.raw, secrets),
      parsed: redactConfigValue(state.parsed),
      valid: state.valid,
      config: redactConfigValue(withConfigDefaults(state.config)) as Record<string, unknown>,
      hash: state.hash,
      issues: state.issues,
      warnings: state.warnings,
      legacyIssues: [],
    };
  }

  /** `config.set`: replaces the file with `raw` (kept verbatim unless it carries redacted secrets); no restart. */
  set(params: ConfigSetParams): Promise<ConfigSetResult> {
    return this.#serialise(async () => {
      const current = await this.#read();
      checkBaseHash(current, params.baseHash);
      const parsed = parseRaw(params.raw, 'config.set');
      const restored = restoreRedactedValues(parsed, current.parsed);
      const config = await this.#validate(restored);
      await this.#write(containsRedacted(parsed) ? toJson(restored) : params.raw, 'config.set');
      return { ok: true as const, path: this.path, config: redactConfigValue(config) as Record<string, unknown> };
    });
  }

  /** `config.patch`: JSON merge patch onto the current (valid) file, then a restart. */
  patch(params: ConfigPatchParams): Promise<ConfigApplyResult> {
    return this.#serialise(async () => {
      const current = await this.#read();
      checkBaseHash(current, params.baseHash);
      if (!current.valid) throw invalidRequest('invalid config; fix before patching', { issues: current.issues });
      const patch = parseRaw(params.raw, 'config.patch');
      if (!isPlainObject(patch)) throw invalidRequest('config.patch raw must be an object');
      const merged = applyMergePatch(current.parsed, restoreRedactedValues(patch, current.parsed));
      const config = await this.#validate(merged);
      await this.#write(toJson(merged), 'config.patch');
      return this.#afterApply(config, params, 'config.patch');
    });
  }

  /** `config.apply`: replaces the whole file, then a restart. */
  apply(params: ConfigApplyParams): Promise<ConfigApplyResult> {
    return this.#serialise(async () => {
      const current = await this.#read();
      checkBaseHash(current, params.baseHash);
      const parsed = parseRaw(params.raw, 'config.apply');
      const restored = restoreRedactedValues(parsed, current.parsed);
      const config = await this.#validate(restored);
      await this.#write(containsRedacted(parsed) ? toJson(restored) : params.raw, 'config.apply');
      return this.#afterApply(config, params, 'config.apply');
    });
  }

  /**
   * Changes the file as stored (so `${VAR}` references stay references) for a feature that owns
   * some keys (`skills.update`, the setup wizard): same validation, backups and atomic write as
   * the RPC, serialised with it, and no restart (those keys are read where they are used).
   * Returns the validated config.
   */
  edit(writer: ConfigWriter, mutate: (parsed: Record<string, unknown>) => Record<string, unknown>): Promise<OpenClawConfig> {
    return this.#serialise(async () => {
      const current = await this.#read();
      if (!current.valid) throw invalidRequest('invalid config; fix before editing', { issues: current.issues });
      const base = isPlainObject(current.parsed) ? structuredClone(current.parsed) : {};
      const next = mutate(base);
      const config = await this.#validate(next);
      await this.#write(toJson(next), writer);
      return config;
    });
  }

  /**
   * Asks the host for an in-process restart, as `config.apply` does (`update.run` after
   * installing a new version): the sentinel is written first so the restarted gateway reports it.
   */
  async requestRestart(
    note: Omit<RestartSentinelPayload, 'doctorHint'>,
    delayMs: number,
  ): Promise<{ restart: ConfigApplyResult['restart']; sentinel: ConfigApplyResult['sentinel'] }> {
    const payload: RestartSentinelPayload = { ...note, doctorHint: this.#doctorHint() };
    const sentinel = { path: await this.#writeSentinel(payload), payload };
    const reason = `${payload.stats.mode}${payload.message ? `: ${payload.message}` : ''}`;
    return { restart: this.#emitRestart({ reason, delayMs, mode: 'update.run', sentinel: payload }), sentinel };
  }

  /**
   * `config.schema`: the config JSON Schema, references inlined, plus form hints (secrets marked
   * `sensitive`). `formReady` answers it in the subset field-by-field forms render (see
   * {@link formSchema}); it accepts the same documents.
   */
  async schema(options: { formReady?: boolean } = {}): Promise<ConfigSchemaResult> {
    // The whole schema (100 KB) is for this method alone: loaded at its first call.
    dereferenced ??= dereferenceSchema((await import('../protocol/generated/config-schema.js')).configSchema as unknown as Record<string, unknown>);
    if (options.formReady) formReady ??= formSchema(dereferenced);
    return {
      schema: options.formReady ? formReady! : dereferenced,
      uiHints: buildConfigUiHints(dereferenced),
      version: this.#options.version ?? 'dev',
      generatedAt: GENERATED_AT,
    };
  }

  async #afterApply(
    config: OpenClawConfig,
    params: ConfigPatchParams | ConfigApplyParams,
    mode: 'config.apply' | 'config.patch',
  ): Promise<ConfigApplyResult> {
    const delayMs = Math.min(MAX_CONFIG_RESTART_DELAY_MS, Math.max(0, params.restartDelayMs ?? DEFAULT_CONFIG_RESTART_DELAY_MS));
    const payload: RestartSentinelPayload = {
      kind: 'config-apply',
      status: 'ok',
      ts: this.#now(),
      ...(params.sessionKey ? { sessionKey: params.sessionKey } : {}),
      message: params.note ?? null,
      doctorHint: this.#doctorHint(),
      stats: { mode, root: this.path },
    };
    const sentinelPath = await this.#writeSentinel(payload);
    const reason = `${mode}${params.note ? `: ${params.note}` : ''}`;
    const restart = this.#emitRestart({ reason, delayMs, mode, sentinel: payload });
    return {
      ok: true as const,
      path: this.path,
      config: redactConfigValue(config) as Record<string, unknown>,
      restart,
      sentinel: { path: sentinelPath, payload },
    };
  }

  #doctorHint(): string {
    const profile = this.#options.profile;
    return `Run: openclaw${profile && profile !== 'default' ? ` --profile ${profile}` : ''} doctor`;
  }

  async #writeSentinel(payload: RestartSentinelPayload): Promise<string | null> {
    if (!this.#options.stateDir) return null;
    try {
      return await writeRestartSentinel(this.#options.stateDir, payload);
    } catch (err) {
      this.#logger.log('warn', 'gateway/config', `could not write the restart sentinel: ${(err as Error).message}`);
      return null;
    }
  }

  #emitRestart(request: ConfigRestartRequest): ConfigApplyResult['restart'] {
    const { reason, delayMs } = request;
    if (!this.#emitter.hasListeners('restart-requested')) {
      return { ok: false, delayMs, reason, error: 'no restart handler in this process; restart the gateway to apply' };
    }
    this.#emitter.emit('restart-requested', request);
    return { ok: true, delayMs, reason, signal: 'SIGUSR1', mode: 'emit' };
  }

  async #read(): Promise<FileState> {
    let raw: string | null;
    try {
      raw = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw unavailable(err);
      raw = null;
    }
    const hash = sha256(raw ?? '');
    if (raw === null) return { exists: false, raw, hash, parsed: {}, valid: true, config: {}, issues: [], warnings: [] };
    const warnings = await this.#permissionWarnings();
    let parsed: unknown;
    try {
      parsed = parseConfigText(raw, this.path);
    } catch (err) {
      return { exists: true, raw, hash, parsed: null, valid: false, config: {}, issues: [{ path: '(root)', message: (err as Error).message }], warnings };
    }
    try {
      const { config } = await evaluateConfig(parsed, this.path, this.#env());
      return { exists: true, raw, hash, parsed, valid: true, config, issues: [], warnings };
    } catch (err) {
      return { exists: true, raw, hash, parsed, valid: false, config: {}, issues: issuesOf(err), warnings };
    }
  }

  async #permissionWarnings(): Promise<ConfigValidationIssue[]> {
    if (process.platform === 'win32') return [];
    try {
      const mode = (await stat(this.path)).mode & 0o777;
      if (mode & 0o077) {
        return [{ path: '(file)', message: `config file mode is ${mode.toString(8)}; it holds secrets, expected 600 (chmod 600 ${this.path})` }];
      }
    } catch {
      return [];
    }
    return [];
  }

  async #validate(value: unknown): Promise<OpenClawConfig> {
    try {
      return (await evaluateConfig(value, this.path, this.#env())).config;
    } catch (err) {
      throw invalidRequest('invalid config', { issues: issuesOf(err) });
    }
  }

  async #write(text: string, method: ConfigWriter): Promise<void> {
    try {
      await rotateConfigBackups(this.path);
      await writeAtomic(this.path, text.endsWith('\n') ? text : `${text}\n`, 0o600);
    } catch (err) {
      throw unavailable(err);
    }
    this.#logger.log('info', 'gateway/config', `config written by ${method}`, { path: this.path });
    this.#emitter.emit('written', { path: this.path, hash: sha256(text.endsWith('\n') ? text : `${text}\n`), method });
  }

  #serialise<T>(task: () => Promise<T>): Promise<T> {
    const next = this.#chain.catch(() => undefined).then(task);
    this.#chain = next;
    return next;
  }

  #env(): EnvMap {
    return this.#options.env ?? process.env;
  }

  #now(): number {
    return this.#options.now?.() ?? Date.now();
  }
}

function checkBaseHash(current: FileState, baseHash: string | undefined): void {
  if (!current.exists) return;
  if (baseHash === undefined) throw invalidRequest('config base hash required; re-run config.get and retry');
  if (baseHash !== current.hash) throw invalidRequest('config changed since last load; re-run config.get and retry');
}

function parseRaw(raw: string, method: string): unknown {
  try {
    return JSON5.parse(raw);
  } catch (err) {
    throw invalidRequest(`invalid ${method} raw: JSON5 parse failed: ${(err as Error).message}`);
  }
}

function issuesOf(err: unknown): ConfigValidationIssue[] {
  const details = err instanceof GatewayError ? (err.details as { issues?: ConfigValidationIssue[] } | undefined) : undefined;
  if (details?.issues?.length) return details.issues;
  return [{ path: '(root)', message: err instanceof Error ? err.message : String(err) }];
}

function toJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function unavailable(err: unknown): GatewayError {
  return new GatewayError('UNAVAILABLE', `config file error: ${(err as Error).message}`, { cause: err });
}
