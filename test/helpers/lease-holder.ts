import { spawn } from 'node:child_process';
import { join } from 'node:path';

/** A child process that takes the lease on `key` in `dir`, says `held <token>` and then waits. */
export function holderProcess(dir: string, key: string) {
  const script = `
import { FileLeaseProvider } from ${JSON.stringify(join(import.meta.dirname, '../../runtime/file-lease-provider.ts'))};
const lease = await new FileLeaseProvider({ dir: process.env.LEASE_DIR }).tryAcquire(process.env.LEASE_KEY, { ttlMs: 30000 });
process.stdout.write(lease ? 'held ' + lease.fencingToken + '\\n' : 'busy\\n');
setInterval(() => undefined, 60000);
`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, LEASE_DIR: dir, LEASE_KEY: key },
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<NodeJS.Signals | number | null>((done) => child.once('close', (code, signal) => done(signal ?? code)));
  const said = new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      if (out.includes('\n')) resolve(out.trim());
    });
    child.once('close', () => reject(new Error(`holder exited early: ${stderr}`)));
  });
  return { child, said, exited };
}
