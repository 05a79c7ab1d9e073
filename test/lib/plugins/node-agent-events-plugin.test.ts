import { describe, expect, it } from 'vitest';
import { agentParams } from '../../../lib/plugins/node-agent-events-plugin.js';
import { agentGatewayPerTest } from '../../helpers/agent-gateway.js';
import { startNode } from '../../helpers/nodes.js';

const { start, defer } = agentGatewayPerTest();

describe('agent turns nodes ask for with node.event', () => {
  it('agent.request (an A2UI click, a deep link) runs in node-<id>, and voice.transcript in the main session', async () => {
    const h = await start();
    h.model.script({ text: ['Clicked.'] }, { text: ['Heard you.'] });
    const node = await startNode(h.wsUrl);
    defer(() => node.client.close());
    const operator = await h.connect();

    const click = 'CANVAS_A2UI action=confirm_order session=main surface=main component=confirm host=- instance=- ctx={} default=update_canvas';
    await node.client.call('node.event', { event: 'agent.request', payloadJSON: JSON.stringify({ message: click, key: 'click-1' }) });
    const clicked = await operator.next((f) => f.event === 'agent' && f.payload.runId === 'node-node-host:click-1' && f.payload.data?.phase === 'end');
    expect(clicked.payload.runId).toBe('node-node-host:click-1');
    expect(h.model.requests[0]!.body.messages.at(-1)).toMatchObject({ role: 'user', content: expect.stringContaining('action=confirm_order') });

    await node.client.call('node.event', { event: 'voice.transcript', payloadJSON: JSON.stringify({ text: 'what is on today' }) });
    await operator.next((f) => f.event === 'agent' && f.payload.data?.phase === 'end' && f.payload.runId !== 'node-node-host:click-1');
    expect(h.model.requests[1]!.body.messages.at(-1)).toMatchObject({ role: 'user', content: expect.stringContaining('what is on today') });

    const { sessions } = (await h.request(operator, 'sessions.list', {})).payload;
    const keys = sessions.map((s: { key: string }) => s.key);
    expect(keys).toEqual(expect.arrayContaining(['agent:main:main', 'agent:main:node-node-host']));
  });

  it('asks for nothing when the event is another kind, empty, too long, or not an object', () => {
    const base = { nodeId: 'n1', connId: 'c1', payloadJSON: null, ts: 0 };
    expect(agentParams({ ...base, event: 'exec.finished', payload: { message: 'x' } })).toBeUndefined();
    expect(agentParams({ ...base, event: 'agent.request', payload: { message: '  ' } })).toBeUndefined();
    expect(agentParams({ ...base, event: 'agent.request', payload: { message: 'x'.repeat(20_001) } })).toBeUndefined();
    expect(agentParams({ ...base, event: 'voice.transcript', payload: ['text'] })).toBeUndefined();
    // Delivery only with a channel to deliver through.
    expect(agentParams({ ...base, event: 'agent.request', payload: { message: 'hi', deliver: true } })).toMatchObject({ deliver: false, sessionKey: 'node-n1' });
    expect(agentParams({ ...base, event: 'agent.request', payload: { message: 'hi', deliver: true, channel: 'telegram', to: '42', sessionKey: 'main' } })).toMatchObject({
      deliver: true,
      channel: 'telegram',
      to: '42',
      sessionKey: 'main',
    });
  });
});
