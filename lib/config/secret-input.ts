import { GatewayError } from '../errors.js';
import type { SecretInput } from '../protocol/generated/config.js';
import type { EnvMap } from './paths.js';

/**
 * The value of a secret setting. Upstream lets a secret be a reference to where it lives; this
 * gateway reads `{ source: "env" }` references and refuses the others at start with a clear
 * error rather than running without the secret.
 */
export function resolveSecretInput(value: SecretInput | undefined, env: EnvMap, path: string): string | undefined {
  if (value === undefined || typeof value === 'string') return value;
  if (value.source !== 'env') {
    throw new GatewayError(
      'CONFIG_INVALID',
      `${path}: secret source "${value.source}" is not supported by this gateway; use the value itself, "\${VAR}", or { "source": "env", "provider": "default", "id": "VAR" }`,
    );
  }
  const resolved = env[value.id];
  if (resolved === undefined || resolved === '') {
    throw new GatewayError('CONFIG_INVALID', `${path} reads the environment variable ${value.id}, which is not set`);
  }
  return resolved;
}
