import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The seed-era upstream reference (its protocol and config schemas) lives next to this repository
 * on a development machine, not in it: nothing of upstream's is copied here. Tests that compare
 * against it run where it exists (`OPENCLAW_SEED_REFERENCE` names another place) and say so
 * where it does not.
 */
export const SEED_REFERENCE_DIR =
  process.env.OPENCLAW_SEED_REFERENCE ?? join(dirname(fileURLToPath(import.meta.url)), '../../../shared/reference/upstream-2026.1.30');

export const HAS_SEED_REFERENCE = existsSync(join(SEED_REFERENCE_DIR, 'protocol.schema.json'));

/** A file of the seed reference, parsed; undefined where the reference is not on this machine. */
export function seedReference<T = Record<string, unknown>>(file: 'protocol.schema.json' | 'config.schema.json'): T | undefined {
  return HAS_SEED_REFERENCE ? (JSON.parse(readFileSync(join(SEED_REFERENCE_DIR, file), 'utf8')) as T) : undefined;
}
