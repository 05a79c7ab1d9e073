import { execFile } from 'node:child_process';
import { connect } from 'node:net';
import { listeners } from './free-port.js';

export interface PortListener {
  pid: number;
  command?: string;
}

export interface PortReport {
  port: number;
  /** `busy`: something accepts connections; `free`: refused; `unknown`: neither could be told. */
  status: 'busy' | 'free' | 'unknown';
  /** Who listens, when lsof can tell. */
  listeners: PortListener[];
}

/** Whether something accepts TCP connections on host:port. */
export function isPortOpen(port: number, host = '127.0.0.1', timeoutMs = 1000): Promise<boolean | undefined> {
  return new Promise((resolve) => {
    const socket = connect({ port, host });
    const done = (value: boolean | undefined) => {
      socket.destroy();
      resolve(value);
    };
    socket.setTimeout(timeoutMs, () => done(undefined));
    socket.once('connect', () => done(true));
    socket.once('error', (err: NodeJS.ErrnoException) => done(err.code === 'ECONNREFUSED' ? false : undefined));
  });
}

/** Port state plus the listening processes (pid and command line) when lsof is installed. */
export async function probePort(port: number, host = '127.0.0.1'): Promise<PortReport> {
  const open = await isPortOpen(port, host);
  const report: PortReport = { port, status: open === undefined ? 'unknown' : open ? 'busy' : 'free', listeners: [] };
  if (open) {
    const pids = await listeners(port).catch(() => [] as number[]);
    for (const pid of pids) report.listeners.push({ pid, ...(await commandOf(pid)) });
  }
  return report;
}

function commandOf(pid: number): Promise<{ command?: string }> {
  return new Promise((resolve) => {
    execFile('ps', ['-o', 'command=', '-p', String(pid)], { encoding: 'utf8' }, (err, stdout) => {
      const command = stdout?.trim();
      resolve(!err && command ? { command } : {});
    });
  });
}
