import { GatewayError } from '../lib/errors.js';

/**
 * The channel and cluster libraries this package declares as optional peer dependencies, with the
 * versions it is tested against. A gateway without that channel or cluster never installs or loads them.
 */
export const OPTIONAL_PACKAGES = {
  '@whiskeysockets/baileys': '7.0.0-rc14',
  grammy: '^1.46.0',
  nats: '^2.29.3',
  pg: '^8.23.1',
  'qrcode-terminal': '^0.12.0',
} as const;

export type OptionalPackage = keyof typeof OPTIONAL_PACKAGES;

/**
 * Imports a module that needs optional packages. When one of them is not installed, the error
 * names the feature and the exact install command instead of Node's resolver message.
 */
export async function loadOptional<T>(feature: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (err) {
    const missing = missingOptionalPackage(err);
    if (!missing) throw err;
    throw new GatewayError(
      'UNAVAILABLE',
      `${feature} needs the optional package ${missing}, which is not installed; install it next to the gateway: npm install ${missing}@${OPTIONAL_PACKAGES[missing]}`,
    );
  }
}

/** Which optional package a failed import is missing, if that is why it failed. */
export function missingOptionalPackage(err: unknown): OptionalPackage | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND') return undefined;
  const message = String((err as Error).message);
  return (Object.keys(OPTIONAL_PACKAGES) as OptionalPackage[]).find((name) => message.includes(`'${name}'`) || message.includes(`'${name}/`));
}
