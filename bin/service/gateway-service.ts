import type { ServiceDefinition } from './service-definition.js';

/** What the supervisor says about the service process. */
export interface ServiceRuntime {
  status: 'running' | 'stopped' | 'unknown';
  /** The supervisor's own words (`active`, `running`, `Ready`, ...). */
  state?: string;
  subState?: string;
  pid?: number;
  lastExitStatus?: number;
  detail?: string;
}

/** Another gateway-like service on this host (an older install, another profile, a legacy name). */
export interface ExtraService {
  label: string;
  detail: string;
  scope: 'user' | 'system';
}

export type Availability = { ok: true } | { ok: false; reason: string };

/** One platform's supervisor for the gateway of one profile: systemd, launchd or Task Scheduler. */
export interface GatewayService {
  /** `systemd`, `LaunchAgent`, `Scheduled Task`. */
  readonly label: string;
  readonly loadedText: string;
  readonly notLoadedText: string;
  /** Unit, label or task name. */
  readonly name: string;
  /** Where the definition lives (unit file, plist, gateway.cmd). */
  readonly definitionPath: string;
  /** Whether the supervisor can be driven here; `reason` says what is missing. */
  available(): Promise<Availability>;
  /** Installed and registered with the supervisor (enabled / loaded / task exists). */
  isLoaded(): Promise<boolean>;
  /** The installed definition, or undefined when there is no definition file. */
  readInstalled(): Promise<ServiceDefinition | undefined>;
  /** The definition file's text for a definition. */
  render(definition: ServiceDefinition): string;
  /** Writes the definition, registers it and starts it. */
  install(definition: ServiceDefinition): Promise<void>;
  /** Rewrites the definition and tells the supervisor to reread it (doctor --fix); no start. */
  rewrite(definition: ServiceDefinition): Promise<void>;
  uninstall(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
  restart(): Promise<void>;
  runtime(): Promise<ServiceRuntime>;
  /** Gateway-like services other than this one; `deep` includes system-level ones. */
  extraServices(deep: boolean): Promise<ExtraService[]>;
}

/** A supervisor command failed; `hints` say what to try. */
export class ServiceCommandError extends Error {
  override readonly name = 'ServiceCommandError';
  readonly hints: string[];

  constructor(message: string, hints: string[] = []) {
    super(message);
    this.hints = hints;
  }
}
