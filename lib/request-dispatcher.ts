import { randomUUID } from 'node:crypto';
import type { GatewayConnection } from './connection.js';
import { GatewayError, invalidRequest } from './errors.js';
import type { Logger } from './logger.js';
import { methodAccessError } from './method-access.js';
import { MethodCall } from './method-call.js';
import type { MethodTable } from './method-table.js';
import { validateFrame } from './request-frame.js';
import type { RequestActivity, RequestMark } from './request-activity.js';

export interface RequestDispatcherOptions {
  methods: MethodTable;
  activity: RequestActivity;
  logger: Logger;
  /** An unexpected failure: logged and raised as the gateway's `error` event. */
  reportError(err: unknown, where: string): void;
}

/**
 * Runs the requests of handshaken connections. A handler that answers synchronously is answered
 * in the same turn: the transport batches the writes of one read (see transports/ws.ts), so a
 * pipelining client gets all its answers in one write.
 */
export class RequestDispatcher {
  readonly #methods: MethodTable;
  readonly #activity: RequestActivity;
  readonly #logger: Logger;
  readonly #reportError: (err: unknown, where: string) => void;

  constructor(options: RequestDispatcherOptions) {
    this.#methods = options.methods;
    this.#activity = options.activity;
    this.#logger = options.logger;
    this.#reportError = options.reportError;
  }

  dispatch(conn: GatewayConnection, parsed: unknown): void {
    const session = conn.session!;
    const frame = validateFrame(parsed);
    if (!frame.ok) {
      conn.sendRes(frame.id, false, undefined, invalidRequest(`invalid request frame: ${frame.message}`));
      return;
    }
    const { id, method } = frame.value;
    if (this.#debug()) this.#logger.log('debug', 'gateway/ws', 'request', { connId: conn.connId, id, method });
    const mark = this.#activity.begin(method);
    let result: unknown;
    try {
      if (method === 'connect') throw invalidRequest('connect is only valid as the first request');
      const entry = this.#methods.get(method);
      if (!entry) throw invalidRequest(`unknown method: ${method}`);
      const denied = methodAccessError(session.role, session.scopes, entry.scope);
      if (denied) throw invalidRequest(denied);
      result = entry.handler(entry.check(frame.value.params ?? {}), new MethodCall(conn, session, id));
    } catch (err) {
      this.#fail(conn, id, mark, err);
      return;
    }
    if (isThenable(result)) {
      result.then(
        (value) => this.#succeed(conn, id, mark, value),
        (err: unknown) => this.#fail(conn, id, mark, err),
      );
    } else {
      this.#succeed(conn, id, mark, result);
    }
  }

  #succeed(conn: GatewayConnection, id: string, mark: RequestMark, value: unknown): void {
    try {
      conn.sendRes(id, true, value);
    } catch (err) {
      // A result that cannot be serialized (a cycle, a BigInt) is a handler bug, answered as one.
      this.#fail(conn, id, mark, err);
      return;
    }
    this.#ended(conn, id, mark, 'ok');
  }

  #fail(conn: GatewayConnection, id: string, mark: RequestMark, err: unknown): void {
    let failure = err;
    if (!(err instanceof GatewayError)) {
      // An unexpected error's message may name paths or secrets: it goes to the log, and the
      // client gets a reference to find it there.
      const ref = randomUUID().slice(0, 8);
      this.#reportError(err, `method ${mark.method} (ref ${ref})`);
      failure = new GatewayError('UNAVAILABLE', `internal error (ref ${ref})`, { details: { correlationId: ref } });
    }
    const wire = failure as GatewayError;
    conn.sendRes(id, false, wire.payload, wire);
    this.#ended(conn, id, mark, wire.code);
  }

  #ended(conn: GatewayConnection, id: string, mark: RequestMark, outcome: string): void {
    const ms = this.#activity.end(mark, outcome);
    if (this.#debug()) this.#logger.log('debug', 'gateway/ws', 'response', { connId: conn.connId, id, method: mark.method, ok: outcome === 'ok', ms });
  }

  #debug(): boolean {
    return this.#logger.enabled?.('debug') ?? true;
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null)?.then === 'function';
}
