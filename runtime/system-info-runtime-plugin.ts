import { statfs } from 'node:fs/promises';
import { arch, cpus, freemem, hostname, loadavg, platform, release, totalmem, type as osType } from 'node:os';
import type { GatewayPlugin } from '../lib/plugin.js';
import type { SystemInfoResult } from '../lib/protocol/generated/types.js';
import type { RuntimePlugin } from './runtime-plugin.js';

/** `system.info`: the host the gateway runs on (OS, CPU, memory, the state directory's disk). */
export function systemInfoRuntimePlugin(): RuntimePlugin {
  return {
    name: 'system-info',
    gatewayPlugins: (ctx) => [systemInfoPlugin(ctx.stateDir, ctx.port)],
  };
}

function systemInfoPlugin(stateDir: string, port: number): GatewayPlugin {
  return {
    name: 'system-info',
    setup(gateway) {
      gateway.registerMethod('system.info', async (): Promise<SystemInfoResult> => {
        const name = hostname();
        const cpuList = cpus();
        // A state dir on a filesystem statfs cannot read (rare) just leaves the disk out.
        const disk = await statfs(stateDir).catch(() => undefined);
        return {
          machineName: name,
          hostname: name,
          platform: platform(),
          release: release(),
          arch: arch(),
          osLabel: `${osType()} ${release()}`,
          ...(port > 0 ? { port } : {}),
          nodeVersion: process.version,
          pid: process.pid,
          uptimeMs: Math.round(process.uptime() * 1000),
          cpuCount: cpuList.length,
          ...(cpuList[0]?.model ? { cpuModel: cpuList[0].model.trim() } : {}),
          loadAverage: loadavg() as [number, number, number],
          memoryTotalBytes: totalmem(),
          memoryFreeBytes: freemem(),
          ...(disk ? { diskTotalBytes: disk.blocks * disk.bsize, diskAvailableBytes: disk.bavail * disk.bsize, diskPath: stateDir } : {}),
        };
      });
    },
  };
}
