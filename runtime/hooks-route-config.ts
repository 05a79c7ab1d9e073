import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import type { OpenClawConfig } from '../lib/config/index.js';
import { GatewayError } from '../lib/errors.js';
import { resolveHookMappings, type HookMapping } from '../lib/hooks/hook-mappings.js';
import { HookTransformLoader } from '../endpoints/hook-transforms.js';

/** Where transform modules live when `hooks.transformsDir` is unset, under the config file's directory. */
export const DEFAULT_HOOK_TRANSFORMS_DIR = 'hooks/transforms';

/**
 * The mappings (own, then presets') and the transform loader of `hooks.*`. `hooks.transformsDir`
 * is taken relative to the config file's directory and must stay inside it: transforms are code
 * the gateway runs, so they come from where the operator's config lives. Throws CONFIG_INVALID.
 */
export function hooksRouteConfig(
  hooks: NonNullable<OpenClawConfig['hooks']>,
  configPath: string,
  workspaceDirs: readonly string[] = [],
): { mappings: HookMapping[]; transforms: HookTransformLoader } {
  const mappings = resolveHookMappings(hooks as { mappings?: Array<Record<string, unknown>>; presets?: string[] });
  const configDir = resolve(dirname(configPath));
  const dir = resolve(configDir, hooks.transformsDir ?? DEFAULT_HOOK_TRANSFORMS_DIR);
  const rel = relative(configDir, dir);
  if (rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) {
    throw new GatewayError('CONFIG_INVALID', `hooks.transformsDir (${dir}) must be a directory inside the config directory ${configDir}`);
  }
  // An agent writes its workspace: code from there would run as the gateway, outside any sandbox.
  const agentWritable = workspaceDirs.map((w) => resolve(w)).find((w) => !relative(w, dir).startsWith('..') || !relative(dir, w).startsWith('..'));
  if (agentWritable !== undefined) {
    throw new GatewayError('CONFIG_INVALID', `hooks.transformsDir (${dir}) overlaps the agent workspace ${agentWritable}: transforms must come from a directory agents cannot write`);
  }
  const transforms = new HookTransformLoader(dir, configDir);
  for (const [i, mapping] of mappings.entries()) {
    if (!mapping.transform) continue;
    try {
      transforms.checkModulePath(mapping.transform.module);
    } catch (err) {
      throw new GatewayError('CONFIG_INVALID', `hooks.mappings[${i}].transform.module: ${(err as Error).message}`);
    }
  }
  return { mappings, transforms };
}
