/** Names of one profile's gateway service on each platform. */
export interface GatewayServiceNames {
  profile: string;
  /** `openclaw-gateway.service`, `openclaw-gateway-<profile>.service`. */
  systemdUnit: string;
  /** `ai.openclaw.gateway`, `ai.openclaw.<profile>`. */
  launchdLabel: string;
  /** Labels earlier releases used; found by status (`extraServices`) and doctor. */
  legacyLaunchdLabels: string[];
  /** `OpenClaw Gateway`, `OpenClaw Gateway (<profile>)`. */
  windowsTaskName: string;
}

export function gatewayServiceNames(profile: string): GatewayServiceNames {
  const named = profile !== 'default';
  return {
    profile,
    systemdUnit: named ? `openclaw-gateway-${profile}.service` : 'openclaw-gateway.service',
    launchdLabel: named ? `ai.openclaw.${profile}` : 'ai.openclaw.gateway',
    legacyLaunchdLabels: named ? [`bot.molt.${profile}`, `com.openclaw.${profile}`] : ['bot.molt.gateway', 'com.openclaw.gateway'],
    windowsTaskName: named ? `OpenClaw Gateway (${profile})` : 'OpenClaw Gateway',
  };
}

/** `OpenClaw Gateway (profile: dev, v1.2.3)`; plain `OpenClaw Gateway` when neither is known. */
export function gatewayServiceDescription(profile: string | undefined, version: string | undefined): string {
  const parts: string[] = [];
  if (profile && profile !== 'default') parts.push(`profile: ${profile}`);
  if (version) parts.push(`v${version}`);
  return parts.length ? `OpenClaw Gateway (${parts.join(', ')})` : 'OpenClaw Gateway';
}
