import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { GatewayError } from '../lib/errors.js';

/** A host other than the first that this machine lacks (no IPv6, say) is skipped, not fatal. */
const MISSING_ADDRESS = new Set(['EADDRNOTAVAIL', 'EAFNOSUPPORT']);

export interface BindServersOptions {
  /** 0: the OS picks one for the first host, and the others take the same. */
  port: number;
  hosts: readonly string[];
  onRequest: (req: IncomingMessage, res: ServerResponse) => void;
  onUpgrade: (req: IncomingMessage, socket: Duplex, head: Buffer) => void;
  /** Names the listener in the ADDRESS_IN_USE message, e.g. `canvas host`. */
  label: string;
}

/**
 * One HTTP server per bind host, all on one port. A taken port is ADDRESS_IN_USE; whatever was
 * bound before a failure is closed again.
 */
export async function bindServers(options: BindServersOptions): Promise<{ servers: Server[]; port: number; hosts: string[] }> {
  let port = options.port;
  const servers: Server[] = [];
  const hosts: string[] = [];
  for (const [index, host] of options.hosts.entries()) {
    const server = createServer(options.onRequest);
    server.on('upgrade', options.onUpgrade);
    try {
      await new Promise<void>((done, fail) => {
        server.once('error', fail);
        server.listen(port, host, () => {
          server.off('error', fail);
          done();
        });
      });
    } catch (err) {
      if (index > 0 && MISSING_ADDRESS.has((err as NodeJS.ErrnoException).code ?? '')) continue;
      await Promise.all(servers.map(stopServer));
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
      throw new GatewayError('ADDRESS_IN_USE', `${options.label} port ${port} is already in use on ${host}`, { cause: err });
    }
    if (index === 0) port = (server.address() as AddressInfo).port;
    servers.push(server);
    hosts.push(host);
  }
  return { servers, port, hosts };
}

/** Closes a server and every connection it still holds. */
export function stopServer(server: Server): Promise<void> {
  return new Promise((done) => {
    server.close(() => done());
    server.closeAllConnections();
  });
}
