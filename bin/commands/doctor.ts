import { loadDiagnosticContext } from '../cli-context.js';
import { runDoctor } from '../doctor.js';
import { defaultServiceHost } from '../service/service-host.js';
import type { CommandKit, Flags } from './command-kit.js';

/** `openclaw doctor [--fix] [--json]`. */
export function registerDoctorCommands(kit: CommandKit): void {
  kit.cli
    .command('doctor', 'Check config, state-dir permissions, port, service definition and legacy files')
    .option('--fix', 'Repair what is safe to repair (permissions, service definition)')
    .option('--json', 'Print JSON')
    .action(async (flags: Flags) => {
      const ctx = await loadDiagnosticContext(kit.globals(flags));
      return runDoctor(ctx, { fix: Boolean(flags.fix), json: Boolean(flags.json) }, defaultServiceHost(ctx));
    });
}
