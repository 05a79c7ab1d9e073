import { once } from 'node:events';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';

/**
 * A TCP relay on 127.0.0.1 between one gateway and PostgreSQL, to cut that link as a network
 * partition does: `cut()` stops carrying bytes both ways and leaves every connection open (no FIN,
 * no RST, as when packets are dropped), so the server keeps the cut-off sessions, and their locks,
 * until something ends them. New connections during a cut are accepted and never served.
 */
export class TcpProxy {
  readonly #targetPort: number;
  readonly #sockets = new Set<Socket>();
  #server?: Server;
  #cut = false;

  constructor(targetPort: number) {
    this.#targetPort = targetPort;
  }

  get port(): number {
    return (this.#server!.address() as AddressInfo).port;
  }

  async start(): Promise<this> {
    const server = createServer((client) => this.#relay(client));
    this.#server = server;
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return this;
  }

  /** Blackholes the link: buffered and new bytes go nowhere, connections stay open. */
  cut(): void {
    this.#cut = true;
    for (const socket of this.#sockets) socket.pause();
  }

  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    this.#sockets.clear();
    const server = this.#server;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  #relay(client: Socket): void {
    this.#track(client);
    if (this.#cut) {
      client.pause();
      return;
    }
    const upstream = connect(this.#targetPort, '127.0.0.1');
    this.#track(upstream);
    const pipe = (from: Socket, to: Socket): void => {
      from.on('data', (chunk) => {
        if (!this.#cut) to.write(chunk);
      });
      from.on('end', () => {
        if (!this.#cut) to.end();
      });
    };
    pipe(client, upstream);
    pipe(upstream, client);
    const destroyBoth = (): void => {
      if (this.#cut) return;
      client.destroy();
      upstream.destroy();
    };
    client.on('error', destroyBoth);
    upstream.on('error', destroyBoth);
  }

  #track(socket: Socket): void {
    this.#sockets.add(socket);
    socket.on('close', () => this.#sockets.delete(socket));
  }
}
