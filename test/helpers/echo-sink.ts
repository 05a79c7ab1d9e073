import type { ConnectionSink, TransportConnection } from '../../lib/transport.js';

/** A sink that echoes every frame back, for transport tests that must not depend on the Gateway. */
export function echoSink() {
  const connections: TransportConnection[] = [];
  const closes: Array<[number, string]> = [];
  const sink: ConnectionSink = {
    accept(connection) {
      connections.push(connection);
      connection.onmessage = (data) => connection.send(data);
      connection.onclose = (code, reason) => closes.push([code, reason]);
    },
  };
  return { sink, connections, closes };
}
