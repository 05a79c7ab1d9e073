import { describe, expect, it } from 'vitest';
import { parseLaunchAgentPlist, renderLaunchAgentPlist } from '../../../bin/service/launchd-plist.js';
import { buildGatewayServiceDefinition, type GatewayServiceInput } from '../../../bin/service/service-definition.js';
import { gatewayServiceDescription, gatewayServiceNames } from '../../../bin/service/service-names.js';
import { parseSystemdUnit, renderSystemdUnit } from '../../../bin/service/systemd-unit.js';
import { parseGatewayCmd, renderGatewayCmd, schtasksCreateArgs } from '../../../bin/service/windows-task.js';

const linux: GatewayServiceInput = {
  platform: 'linux',
  profile: 'default',
  stateDir: '/home/ada/.openclaw',
  configPath: '/home/ada/.openclaw/openclaw.json',
  home: '/home/ada',
  port: 18789,
  version: '1.2.3',
  command: ['/usr/local/bin/node', '/opt/openclaw/dist/bin/openclaw.js'],
};

describe('service names (protocol §11, product.md)', () => {
  it('default profile', () => {
    expect(gatewayServiceNames('default')).toEqual({
      profile: 'default',
      systemdUnit: 'openclaw-gateway.service',
      launchdLabel: 'ai.openclaw.gateway',
      legacyLaunchdLabels: ['bot.molt.gateway', 'com.openclaw.gateway'],
      windowsTaskName: 'OpenClaw Gateway',
    });
  });

  it('named profiles carry the profile everywhere', () => {
    expect(gatewayServiceNames('dev')).toMatchObject({
      systemdUnit: 'openclaw-gateway-dev.service',
      launchdLabel: 'ai.openclaw.dev',
      windowsTaskName: 'OpenClaw Gateway (dev)',
    });
  });

  it('descriptions', () => {
    expect(gatewayServiceDescription('default', undefined)).toBe('OpenClaw Gateway');
    expect(gatewayServiceDescription('default', '1.2.3')).toBe('OpenClaw Gateway (v1.2.3)');
    expect(gatewayServiceDescription('work', '1.2.3')).toBe('OpenClaw Gateway (profile: work, v1.2.3)');
  });
});

describe('service definition', () => {
  it('runs `<node> <entry> gateway --port <port>` with the environment of §11', () => {
    const def = buildGatewayServiceDefinition({ ...linux, profile: 'work', port: 19021, token: 'tok-123456' });
    expect(def.description).toBe('OpenClaw Gateway (profile: work, v1.2.3)');
    expect(def.programArguments).toEqual(['/usr/local/bin/node', '/opt/openclaw/dist/bin/openclaw.js', 'gateway', '--port', '19021']);
    expect(def.workingDirectory).toBe('/home/ada/.openclaw');
    expect(def.environment).toEqual({
      HOME: '/home/ada',
      PATH: '/usr/local/bin:/usr/bin:/bin',
      OPENCLAW_PROFILE: 'work',
      OPENCLAW_STATE_DIR: '/home/ada/.openclaw',
      OPENCLAW_CONFIG_PATH: '/home/ada/.openclaw/openclaw.json',
      OPENCLAW_GATEWAY_PORT: '19021',
      OPENCLAW_GATEWAY_TOKEN: 'tok-123456',
      OPENCLAW_LAUNCHD_LABEL: 'ai.openclaw.work',
      OPENCLAW_SYSTEMD_UNIT: 'openclaw-gateway-work.service',
      OPENCLAW_SERVICE_MARKER: 'openclaw',
      OPENCLAW_SERVICE_KIND: 'gateway',
      OPENCLAW_SERVICE_VERSION: '1.2.3',
    });
  });

  it('the default profile sets no OPENCLAW_PROFILE and no token unless given', () => {
    const env = buildGatewayServiceDefinition(linux).environment;
    expect(env.OPENCLAW_PROFILE).toBeUndefined();
    expect(env.OPENCLAW_GATEWAY_TOKEN).toBeUndefined();
    expect(env.OPENCLAW_SYSTEMD_UNIT).toBe('openclaw-gateway.service');
  });
});

describe('Linux: systemd unit', () => {
  it('has exactly the layout of protocol §11', () => {
    const def = buildGatewayServiceDefinition({ ...linux, profile: 'work' });
    const unit = renderSystemdUnit(def);
    expect(unit).toBe(
      [
        '[Unit]',
        'Description=OpenClaw Gateway (profile: work, v1.2.3)',
        'After=network-online.target',
        'Wants=network-online.target',
        '',
        '[Service]',
        'ExecStart=/usr/local/bin/node /opt/openclaw/dist/bin/openclaw.js gateway --port 18789',
        'Restart=always',
        'RestartSec=5',
        'RestartPreventExitStatus=78',
        'KillMode=process',
        'WorkingDirectory=/home/ada/.openclaw',
        'Environment=HOME=/home/ada',
        'Environment=PATH=/usr/local/bin:/usr/bin:/bin',
        'Environment=OPENCLAW_PROFILE=work',
        'Environment=OPENCLAW_STATE_DIR=/home/ada/.openclaw',
        'Environment=OPENCLAW_CONFIG_PATH=/home/ada/.openclaw/openclaw.json',
        'Environment=OPENCLAW_GATEWAY_PORT=18789',
        'Environment=OPENCLAW_LAUNCHD_LABEL=ai.openclaw.work',
        'Environment=OPENCLAW_SYSTEMD_UNIT=openclaw-gateway-work.service',
        'Environment=OPENCLAW_SERVICE_MARKER=openclaw',
        'Environment=OPENCLAW_SERVICE_KIND=gateway',
        'Environment=OPENCLAW_SERVICE_VERSION=1.2.3',
        '',
        '[Install]',
        'WantedBy=default.target',
        '',
      ].join('\n'),
    );
    expect(parseSystemdUnit(unit)).toEqual(def);
  });

  it('quotes arguments and values with spaces, quotes and %, and reads them back', () => {
    const def = buildGatewayServiceDefinition({
      ...linux,
      stateDir: '/home/ada/My State',
      home: '/home/ada',
      token: 'a"b\\c 100%',
      command: ['/opt/node dir/node', '/opt/oc/openclaw.js'],
    });
    const unit = renderSystemdUnit(def);
    expect(unit).toContain('ExecStart="/opt/node dir/node" /opt/oc/openclaw.js gateway --port 18789');
    expect(unit).toContain('WorkingDirectory="/home/ada/My State"');
    expect(unit).toContain('Environment="OPENCLAW_GATEWAY_TOKEN=a\\"b\\\\c 100%%"');
    expect(parseSystemdUnit(unit)).toEqual(def);
  });

  it('a system unit runs as a user and is wanted by multi-user.target', () => {
    const unit = renderSystemdUnit(buildGatewayServiceDefinition(linux), { system: true, user: 'ada' });
    expect(unit).toContain('\nUser=ada\n');
    expect(unit).toContain('WantedBy=multi-user.target');
  });
});

describe('macOS: LaunchAgent plist', () => {
  it('carries label, RunAtLoad, KeepAlive, program, directory, logs and environment', () => {
    const def = buildGatewayServiceDefinition({ ...linux, platform: 'darwin', home: '/Users/ada', stateDir: '/Users/ada/.openclaw-dev', configPath: '/Users/ada/.openclaw-dev/openclaw.json', profile: 'dev', port: 19001 });
    const plist = renderLaunchAgentPlist(def, {
      label: 'ai.openclaw.dev',
      stdoutPath: '/Users/ada/.openclaw-dev/logs/gateway.log',
      stderrPath: '/Users/ada/.openclaw-dev/logs/gateway.err.log',
    });
    expect(plist).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<!DOCTYPE plist/);
    expect(plist).toContain('<key>Label</key>\n    <string>ai.openclaw.dev</string>');
    expect(plist).toContain('<key>RunAtLoad</key>\n    <true/>');
    expect(plist).toContain('<key>KeepAlive</key>\n    <true/>');
    expect(plist).toContain(
      '<key>ProgramArguments</key>\n    <array>\n      <string>/usr/local/bin/node</string>\n      <string>/opt/openclaw/dist/bin/openclaw.js</string>\n      <string>gateway</string>\n      <string>--port</string>\n      <string>19001</string>\n    </array>',
    );
    expect(plist).toContain('<key>WorkingDirectory</key>\n    <string>/Users/ada/.openclaw-dev</string>');
    expect(plist).toContain('<key>StandardOutPath</key>\n    <string>/Users/ada/.openclaw-dev/logs/gateway.log</string>');
    expect(plist).toContain('<key>StandardErrorPath</key>\n    <string>/Users/ada/.openclaw-dev/logs/gateway.err.log</string>');
    expect(plist).toContain('<key>OPENCLAW_SERVICE_MARKER</key>\n      <string>openclaw</string>');
    expect(plist).toContain('<key>OPENCLAW_LAUNCHD_LABEL</key>\n      <string>ai.openclaw.dev</string>');
    expect(def.environment.PATH).toBe('/usr/local/bin:/opt/homebrew/bin:/usr/bin:/bin');
    expect(parseLaunchAgentPlist(plist)).toEqual({ ...def, label: 'ai.openclaw.dev' });
  });

  it('escapes XML', () => {
    const def = buildGatewayServiceDefinition({ ...linux, platform: 'darwin', token: '<a&b>"\'' });
    const plist = renderLaunchAgentPlist(def, { label: 'ai.openclaw.gateway', stdoutPath: '/o', stderrPath: '/e' });
    expect(plist).toContain('<string>&lt;a&amp;b&gt;&quot;&apos;</string>');
    expect(parseLaunchAgentPlist(plist).environment.OPENCLAW_GATEWAY_TOKEN).toBe('<a&b>"\'');
  });
});

describe('Windows: gateway.cmd and schtasks', () => {
  const win: GatewayServiceInput = {
    platform: 'win32',
    profile: 'work',
    stateDir: 'C:\\Users\\Ada\\.openclaw-work',
    configPath: 'C:\\Users\\Ada\\.openclaw-work\\openclaw.json',
    home: 'C:\\Users\\Ada',
    port: 19021,
    version: '1.2.3',
    command: ['C:\\Program Files\\nodejs\\node.exe', 'C:\\oc\\openclaw.js'],
    path: 'C:\\Windows\\system32;C:\\Program Files\\nodejs',
  };

  it('the script has @echo off, a rem description, set lines and the command, CRLF', () => {
    const def = buildGatewayServiceDefinition({ ...win, token: 'x%y&z' });
    const script = renderGatewayCmd(def);
    const lines = script.split('\r\n');
    expect(lines.slice(0, 3)).toEqual(['@echo off', 'rem OpenClaw Gateway (profile: work, v1.2.3)', 'cd /d C:\\Users\\Ada\\.openclaw-work']);
    expect(lines).toContain('set OPENCLAW_PROFILE=work');
    expect(lines).toContain('set OPENCLAW_SERVICE_KIND=gateway');
    expect(lines).toContain('set OPENCLAW_GATEWAY_TOKEN=x%%y^&z');
    expect(lines).toContain('set PATH=C:\\Windows\\system32;C:\\Program Files\\nodejs');
    expect(lines.at(-2)).toBe('"C:\\Program Files\\nodejs\\node.exe" C:\\oc\\openclaw.js gateway --port 19021');
    expect(lines.at(-1)).toBe('');
    expect(script).not.toMatch(/[^\r]\n/);
    expect(parseGatewayCmd(script)).toEqual(def);
  });

  it('schtasks registers the script at logon with limited rights', () => {
    expect(schtasksCreateArgs('OpenClaw Gateway (work)', 'C:\\Users\\Ada\\.openclaw-work\\gateway.cmd', 'PC\\Ada')).toEqual([
      '/Create', '/F', '/SC', 'ONLOGON', '/RL', 'LIMITED', '/TN', 'OpenClaw Gateway (work)',
      '/TR', 'C:\\Users\\Ada\\.openclaw-work\\gateway.cmd', '/RU', 'PC\\Ada', '/NP', '/IT',
    ]);
    expect(schtasksCreateArgs('OpenClaw Gateway', 'C:\\My Files\\gateway.cmd')).toContain('"C:\\My Files\\gateway.cmd"');
  });
});
