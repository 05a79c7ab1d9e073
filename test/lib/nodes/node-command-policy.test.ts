import { describe, expect, it } from 'vitest';
import { DEFAULT_NODE_COMMANDS, NodeCommandPolicy } from '../../../lib/nodes/node-command-policy.js';

describe('NodeCommandPolicy', () => {
  it('allows the default command families and nothing else by default', () => {
    const policy = new NodeCommandPolicy();
    const defaults = ['canvas.eval', 'canvas.a2ui.push', 'camera.snap', 'screen.record', 'location.get', 'system.run', 'system.notify', 'system.which'];
    // What exec approvals and browser.request send to a node.
    for (const command of [...defaults, 'system.execApprovals.get', 'system.execApprovals.set', 'browser.proxy']) {
      expect(policy.allows(command), command).toBe(true);
    }
    for (const command of ['canvas', 'canvas.', 'canvasx.eval', 'system.exec', 'sms.send', 'browser.navigate', '']) {
      expect(policy.allows(command), command).toBe(false);
    }
    expect(DEFAULT_NODE_COMMANDS).toContain('canvas.*');
  });

  it('adds allowCommands, and denyCommands wins over both', () => {
    const policy = new NodeCommandPolicy({ allowCommands: ['sms.*', 'browser.proxy'], denyCommands: ['camera.*', 'sms.send'] });
    expect(policy.allows('sms.list')).toBe(true);
    expect(policy.allows('sms.send')).toBe(false);
    expect(policy.allows('browser.proxy')).toBe(true);
    expect(policy.allows('camera.snap')).toBe(false);
    expect(new NodeCommandPolicy({ allowCommands: ['*'] }).allows('anything.at.all')).toBe(true);
    expect(new NodeCommandPolicy({ allowCommands: ['*'], denyCommands: ['*'] }).allows('canvas.eval')).toBe(false);
  });

  it('filters declared commands (sorted, unique) and explains refusals', () => {
    const policy = new NodeCommandPolicy();
    expect(policy.filter(['system.run', 'canvas.eval', 'sms.send', 'canvas.eval'])).toEqual(['canvas.eval', 'system.run']);
    expect(policy.refusal(['canvas.eval'], 'canvas.eval')).toBeUndefined();
    expect(policy.refusal(['canvas.eval'], 'canvas.snapshot')).toBe('command not declared by node');
    expect(policy.refusal(['sms.send'], 'sms.send')).toBe('command not allowlisted');
  });
});
