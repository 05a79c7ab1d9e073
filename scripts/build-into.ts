import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';

export interface BuiltDirectory {
  outDir: string;
  /** Every file written, with its size; `.map` files are debugging aids, not shipped to first paint. */
  files: { name: string; bytes: number }[];
}

/**
 * Runs `fill` into a staging directory beside `outDir` and swaps it in as a whole, so the gateway
 * never serves half a build; a failed build leaves the previous one in place.
 */
export async function buildInto(outDir: string, fill: (staging: string) => Promise<void>): Promise<BuiltDirectory> {
  const staging = `${outDir}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  await mkdir(staging, { recursive: true });
  try {
    await fill(staging);
    await rm(outDir, { recursive: true, force: true });
    await rename(staging, outDir);
  } catch (err) {
    await rm(staging, { recursive: true, force: true });
    throw err;
  }
  const files = [];
  for (const name of (await readdir(outDir)).sort()) files.push({ name, bytes: (await stat(`${outDir}/${name}`)).size });
  return { outDir, files };
}
