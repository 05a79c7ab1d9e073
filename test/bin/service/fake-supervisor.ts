import type { CommandResult, CommandRunner } from '../../../bin/service/command-runner.js';

/** A pretend systemctl / launchctl / schtasks: records every call and keeps just enough state. */
export class FakeSupervisor {
  readonly calls: string[] = [];
  readonly enabled = new Set<string>();
  readonly active = new Set<string>();
  available = true;

  readonly runner: CommandRunner = async (command, args) => {
    this.calls.push(`${command} ${args.join(' ')}`);
    return this.#answer(command, [...args]);
  };

  #answer(command: string, args: string[]): CommandResult {
    const ok = (stdout = ''): CommandResult => ({ code: 0, stdout, stderr: '' });
    const fail = (stderr: string, code = 1): CommandResult => ({ code, stdout: '', stderr });
    if (command === 'systemctl') {
      if (!this.available) return fail('Failed to connect to bus: No medium found');
      const [verb, ...rest] = args[0] === '--user' ? args.slice(1) : args;
      const unit = rest.find((a) => a.endsWith('.service')) ?? '';
      switch (verb) {
        case 'show-environment':
        case 'daemon-reload':
          return ok();
        case 'is-enabled':
          return this.enabled.has(unit) ? ok('enabled\n') : { code: 1, stdout: 'disabled\n', stderr: '' };
        case 'enable':
          this.enabled.add(unit);
          return ok();
        case 'disable':
          this.enabled.delete(unit);
          this.active.delete(unit);
          return ok();
        case 'start':
        case 'restart':
          this.active.add(unit);
          return ok();
        case 'stop':
          this.active.delete(unit);
          return ok();
        case 'show':
          return this.active.has(unit)
            ? ok('ActiveState=active\nSubState=running\nMainPID=4242\nExecMainStatus=0\nLoadState=loaded\n')
            : ok('ActiveState=inactive\nSubState=dead\nMainPID=0\nExecMainStatus=0\nLoadState=loaded\n');
      }
    }
    if (command === 'launchctl') {
      const target = args.at(-1) ?? '';
      switch (args[0]) {
        case 'print':
          if (/^gui\/\d+$/.test(target)) return ok();
          return this.enabled.has(target) ? ok(`${target} = {\n\tstate = ${this.active.has(target) ? 'running' : 'waiting'}\n\tpid = 777\n\tlast exit code = 0\n}`) : fail('Could not find service');
        case 'bootstrap':
          this.enabled.add(`${args[1]}/${plistLabel(target)}`);
          return ok();
        case 'kickstart':
          this.active.add(target);
          return ok();
        case 'bootout':
          this.enabled.delete(target);
          this.active.delete(target);
          return ok();
        case 'enable':
          return ok();
      }
    }
    if (command === 'schtasks') {
      const name = args[args.indexOf('/TN') + 1] ?? '';
      switch (args[0]) {
        case '/Query':
          if (!args.includes('/TN')) return ok('');
          if (!this.enabled.has(name)) return fail('ERROR: The system cannot find the file specified.');
          return ok(`TaskName: \\${name}\nStatus: ${this.active.has(name) ? 'Running' : 'Ready'}\nLast Result: 0\n`);
        case '/Create':
          this.enabled.add(name);
          return ok();
        case '/Run':
          this.active.add(name);
          return ok();
        case '/End':
          this.active.delete(name);
          return ok();
        case '/Delete':
          this.enabled.delete(name);
          return ok();
      }
    }
    return fail(`unexpected ${command} ${args.join(' ')}`);
  }
}

/** `…/LaunchAgents/ai.openclaw.gateway.plist` → `ai.openclaw.gateway`. */
function plistLabel(plistPath: string): string {
  return plistPath.replace(/^.*\//, '').replace(/\.plist$/, '');
}
