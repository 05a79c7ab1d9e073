import type { GatewayConnection } from './connection.js';
import type { ClientSession, MethodContext } from './method-context.js';

/**
 * The context of one request from a connection. Every request gets one, so `respond` is a
 * method on the prototype rather than a closure made per call.
 */
export class MethodCall implements MethodContext<unknown> {
  readonly session: ClientSession;
  readonly #conn: GatewayConnection;
  readonly #id: string;

  constructor(conn: GatewayConnection, session: ClientSession, id: string) {
    this.#conn = conn;
    this.session = session;
    this.#id = id;
  }

  respond(payload: unknown): void {
    this.#conn.sendRes(this.#id, true, payload);
  }
}
