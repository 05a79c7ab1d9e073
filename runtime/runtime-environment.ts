import type { Readable, Writable } from 'node:stream';
import type { LoadedConfig } from '../lib/config/index.js';

/** What the runtime runs in: the resolved paths and environment, and the config as loaded. */
export interface RuntimeEnvironment {
  env: Record<string, string | undefined>;
  /** Named in restart notes and doctor hints (`default`, `dev`, ...). */
  profile: string;
  stateDir: string;
  /** The config file: read at start, watched for changes, written by `config.*`. */
  configPath: string;
  workspaceDir: string;
  version: string;
  loaded: LoadedConfig;
}

/** Settings that win over the config file (the CLI's flags). */
export interface RuntimeOverrides {
  port?: string;
  bind?: string;
  token?: string;
  password?: string;
  auth?: string;
  allowUnconfigured?: boolean;
  /** Mirror debug logs to the console. */
  verbose?: boolean;
  /** Serve exactly one client over newline-delimited JSON instead of listening (`true`: this process's stdin/stdout). */
  stdio?: boolean | { input: Readable; output: Writable };
}
