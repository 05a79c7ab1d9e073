import type { EventEmitter } from 'node:events';
import type { Bonjour, Service, ServiceConfig } from 'bonjour-service';
import type { Logger } from '../lib/logger.js';

/** Makes the mDNS responder; `onError` gets what goes wrong on its socket. Tests pass one bound to loopback. */
export type BonjourFactory = (onError: (err: Error) => void) => Bonjour | Promise<Bonjour>;

/** The `bonjour-service` responder on the standard mDNS group and port, loaded only when something is advertised or browsed. */
export const defaultBonjourFactory: BonjourFactory = async (onError) => {
  const { Bonjour } = await import('bonjour-service');
  return new Bonjour({}, onError);
};

export interface BonjourAdvertiserOptions {
  createBonjour?: BonjourFactory;
  logger: Logger;
  /** How long `stop` waits for the goodbye packets before it closes the socket anyway (default 1000 ms). */
  stopTimeoutMs?: number;
}

/**
 * Publishes one DNS-SD service and withdraws it (goodbye packets, TTL 0) on stop. Network trouble is
 * logged, never thrown: discovery is a convenience, the gateway runs on without it.
 */
export class BonjourAdvertiser {
  readonly #options: BonjourAdvertiserOptions;
  #bonjour: Bonjour | undefined;
  #service: Service | undefined;

  constructor(options: BonjourAdvertiserOptions) {
    this.#options = options;
  }

  async publish(config: ServiceConfig): Promise<Service> {
    const { logger } = this.#options;
    const onError = (err: Error) => logger.log('warn', 'discovery', `mDNS: ${err.message}`);
    const bonjour = await (this.#options.createBonjour ?? defaultBonjourFactory)(onError);
    // multicast-dns emits socket failures (EADDRINUSE, EACCES) as 'error' events that bonjour-service
    // does not listen to; unheard, they would take the whole process down.
    (bonjour as unknown as { server?: { mdns?: EventEmitter } }).server?.mdns?.on('error', onError);
    this.#bonjour = bonjour;
    const service = bonjour.publish(config);
    this.#service = service;
    service.on('up', () => logger.log('info', 'discovery', `advertising "${service.name}" as ${service.type}.local on port ${service.port}`));
    service.on('error', onError);
    return service;
  }

  async stop(): Promise<void> {
    const bonjour = this.#bonjour;
    const service = this.#service;
    this.#bonjour = undefined;
    this.#service = undefined;
    if (!bonjour) return;
    const deadline = this.#options.stopTimeoutMs ?? 1000;
    await withDeadline((done) => (service ? service.stop(done) : done()), deadline);
    await withDeadline((done) => bonjour.destroy(done), deadline);
  }
}

function withDeadline(start: (done: () => void) => void, ms: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    timer.unref();
    start(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}
