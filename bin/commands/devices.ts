import { GatewayError } from '../../lib/errors.js';
import type { DevicePairingRequest, PairedDevice } from '../../lib/protocol/generated/types.js';
import { loadClientContext, type CliContext } from '../cli-context.js';
import { formatAgo, printRpc } from '../rpc-action.js';
import { withRpcOptions, type CommandKit, type Flags } from './command-kit.js';

const USAGE = {
  approve: 'openclaw devices approve <requestId>',
  reject: 'openclaw devices reject <requestId>',
  rotate: 'openclaw devices rotate <deviceId> --role <role> [--scopes a,b]',
  revoke: 'openclaw devices revoke <deviceId> --role <role>',
};

interface DevicesFlags {
  url?: string;
  token?: string;
  password?: string;
  timeout?: number;
  json: boolean;
  role?: string;
  scopes?: string;
}

/** `openclaw devices list|approve|reject|rotate|revoke`: device pairing and device tokens (docs/protocol.md). */
export function registerDevicesCommands(kit: CommandKit): void {
  const { cli, str, globals, rpcFlags } = kit;
  withRpcOptions(
    cli.command(
      'devices [action] [...args]',
      'Devices: list (default) | approve <requestId> | reject <requestId> | rotate <deviceId> --role <r> | revoke <deviceId> --role <r>',
    ),
  )
    .option('--role <role>', 'rotate/revoke: the token role (operator or node)')
    .option('--scopes <list>', 'rotate: comma-separated scopes of the new token')
    .action(async (action: string | undefined, args: string[], flags: Flags) => {
      const rpc = rpcFlags(flags);
      const ctx = await loadClientContext(globals(flags), rpc.url);
      return runDevices(ctx, action ?? 'list', args, { ...rpc, role: str(flags, 'role'), scopes: str(flags, 'scopes') });
    });
}

async function runDevices(ctx: CliContext, action: string, args: string[], flags: DevicesFlags): Promise<number> {
  const first = (usage: string): string => {
    if (!args[0]) throw new GatewayError('INVALID_REQUEST', `usage: ${usage}`);
    return args[0];
  };
  const role = (usage: string): string => {
    if (!flags.role) throw new GatewayError('INVALID_REQUEST', `--role is required; usage: ${usage}`);
    return flags.role;
  };
  switch (action) {
    case 'list':
      return printRpc(ctx, flags, 'device.pair.list', {}, ({ pending, paired }) => listLines(pending, paired));
    case 'approve':
      return printRpc(ctx, flags, 'device.pair.approve', { requestId: first(USAGE.approve) }, ({ device, requestId }) => [
        `Approved device ${label(device)} (request ${requestId}) for ${device.roles.join(', ')}.`,
      ]);
    case 'reject':
      return printRpc(ctx, flags, 'device.pair.reject', { requestId: first(USAGE.reject) }, (r) => [`Rejected device ${r.deviceId} (request ${r.requestId}).`]);
    case 'rotate': {
      const deviceId = first(USAGE.rotate);
      const scopes = flags.scopes?.split(',').map((s) => s.trim()).filter(Boolean);
      const params = { deviceId, role: role(USAGE.rotate), ...(scopes ? { scopes } : {}) };
      return printRpc(ctx, flags, 'device.token.rotate', params, (r) => [
        `New ${r.role} token for ${r.deviceId} (scopes: ${r.scopes.join(', ') || '-'}):`,
        `  ${r.token}`,
      ]);
    }
    case 'revoke': {
      const deviceId = first(USAGE.revoke);
      return printRpc(ctx, flags, 'device.token.revoke', { deviceId, role: role(USAGE.revoke) }, (r) => [`Revoked the ${r.role} token of ${r.deviceId}.`]);
    }
    default:
      throw new GatewayError('INVALID_REQUEST', `unknown devices action: ${action} (expected list, approve, reject, rotate or revoke)`);
  }
}

function label(device: { deviceId: string; displayName?: string }): string {
  return device.displayName ? `${device.displayName} (${device.deviceId})` : device.deviceId;
}

function listLines(pending: DevicePairingRequest[], paired: PairedDevice[]): string[] {
  const lines = [`Pending (${pending.length}):`];
  for (const r of pending) {
    const what = [r.clientId, r.platform, r.role && `role ${r.role}`, r.remoteIp && `from ${r.remoteIp}`].filter(Boolean).join(', ');
    lines.push(`  ${r.requestId}  ${label(r)}${what ? `  (${what})` : ''}  ${formatAgo(r.ts)}${r.isRepair ? '  repair' : ''}`);
  }
  lines.push(`Paired (${paired.length}):`);
  for (const d of paired) {
    const tokens = (d.tokens ?? []).map((t) => `${t.role}${t.revokedAtMs !== undefined ? ' (revoked)' : ''}`).join(', ');
    lines.push(`  ${label(d)}  roles: ${d.roles.join(', ') || '-'}  scopes: ${d.scopes.join(', ') || '-'}  tokens: ${tokens || '-'}`);
  }
  return lines;
}
