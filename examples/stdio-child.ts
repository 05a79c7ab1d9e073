/**
 * Driving `openclaw gateway --stdio` as a child process with GatewayClient.
 *
 * In `--stdio` mode the CLI serves exactly one client over its stdin/stdout, one JSON frame per
 * line, and writes its logs to stderr. A parent (an editor plugin, a test harness, a supervisor)
 * spawns it and talks the same protocol as over WebSocket: `spawnGateway()` starts the child and
 * gives GatewayClient a `createSocket` over its pipes (`createStdioSocket` does the same for any
 * readable/writable pair). Closing the client ends the child's stdin, and the child shuts down
 * with exit code 0.
 *
 * Run: npx tsx examples/stdio-child.ts   (exits 0 when every check passes)
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { GatewayClient, GatewayError } from 'clawgate/client';
import { spawnGateway } from 'clawgate/client/stdio';
import { runExample, withTimeout } from './support/run-example.js';

function isJsonFrame(line: string): boolean {
  try {
    const frame = JSON.parse(line) as { type?: unknown };
    return frame.type === 'event' || frame.type === 'res';
  } catch {
    return false;
  }
}

async function main(): Promise<void> {
  // Everything the child writes (config, state) goes to a throwaway dir, never to ~/.openclaw.
  const stateDir = await mkdtemp(join(tmpdir(), 'openclaw-stdio-example-'));
  const token = randomBytes(16).toString('hex');
  const gateway = spawnGateway({
    args: ['--allow-unconfigured'],
    env: { ...process.env, OPENCLAW_STATE_DIR: stateDir, OPENCLAW_GATEWAY_TOKEN: token },
  });
  const { child, exited } = gateway;

  // stdout is the protocol stream: anything on it that is not a frame is a bug.
  const problems: string[] = [];
  const client = new GatewayClient({
    url: 'stdio:', // not dialled: createSocket decides what a "socket" is
    token,
    client: { displayName: 'stdio example', version: '1.0.0', platform: process.platform },
    createSocket: () => {
      const socket = gateway.createSocket();
      let pending = '';
      child.stdout.on('data', (chunk: Buffer) => {
        const lines = (pending + chunk.toString('utf8')).split('\n');
        pending = lines.pop()!;
        for (const line of lines) if (line && !isJsonFrame(line)) problems.push(line);
      });
      return socket;
    },
    reconnect: false, // a stdio child serves one connection; there is nothing to reconnect to
  });

  try {
    // Check: the handshake runs over the pipes exactly as over a WebSocket.
    const hello = await client.connect();
    assert.equal(hello.type, 'hello-ok', 'connect answer');
    assert.equal(hello.snapshot.stateDir, stateDir, 'the child uses OPENCLAW_STATE_DIR');
    console.log(`ok - hello-ok over stdio, protocol ${hello.protocol}`);

    // Check: typed calls.
    const health = await client.call('health');
    assert.equal(health.ok, true, 'health.ok');
    console.log('ok - health returned ok:true');

    const status = await client.call('status');
    assert.ok(Array.isArray(status.channelSummary), 'status has channelSummary');
    assert.equal(status.heartbeat.defaultAgentId, hello.snapshot.health.defaultAgentId, 'status default agent');
    console.log(`ok - status: default agent ${status.heartbeat.defaultAgentId}`);

    // Check: a protocol error comes back as a rejected call with the wire code and message.
    const error = await client.call('no.such.method').then(
      () => assert.fail('an unknown method must be refused'),
      (err: unknown) => err,
    );
    assert.ok(error instanceof GatewayError, `unknown method rejects with a GatewayError (got ${inspect(error)})`);
    assert.equal(error.code, 'INVALID_REQUEST', 'unknown method error code');
    assert.equal(error.message, 'unknown method: no.such.method', 'unknown method error message');
    console.log(`ok - unknown method refused: ${error.code} "${error.message}"`);

    // Check: hanging up (client.close() ends the child's stdin) makes the child exit cleanly.
    client.close();
    const code = await withTimeout(exited, 'the child to exit after stdin closed', 5_000);
    assert.equal(code, 0, 'child exit code');
    assert.deepEqual(problems, [], 'non-frame lines on the child stdout');
    console.log('ok - child exited with code 0; its stdout carried only protocol frames');
  } catch (err) {
    if (gateway.stderr()) console.error(`--- child stderr ---\n${gateway.stderr()}--- end of child stderr ---`);
    throw err;
  } finally {
    client.close();
    if (child.exitCode === null && child.signalCode === null) {
      child.kill();
      await exited;
    }
    await rm(stateDir, { recursive: true, force: true });
  }
}

runExample('stdio-child', main, 15_000);
