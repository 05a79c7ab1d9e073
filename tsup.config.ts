import { defineConfig } from 'tsup';

// One entry per package.json export (a test checks they agree), plus the CLI.
const libraryEntries = {
  'runtime/index': 'runtime/index.ts',
  'lib/client/index': 'lib/client/index.ts',
  'transports/stdio-client': 'transports/stdio-client.ts',
  'lib/protocol/wire-types': 'lib/protocol/wire-types.ts',
  'transports/ws': 'transports/ws.ts',
  'transports/stdio': 'transports/stdio.ts',
  'endpoints/canvas-host': 'endpoints/canvas-host.ts',
  'channels/telegram': 'channels/telegram.ts',
  'channels/whatsapp': 'channels/whatsapp.ts',
  'cluster/nats': 'cluster/nats.ts',
  'cluster/postgres': 'cluster/postgres.ts',
};

export default defineConfig({
  entry: { ...libraryEntries, 'bin/openclaw': 'bin/openclaw.ts' },
  format: ['esm'],
  target: 'node20',
  platform: 'node',
  // The CLI is a program, not an API: no declaration file for it.
  dts: { entry: libraryEntries },
  // No source maps: they would point at TypeScript sources the package does not ship.
  sourcemap: false,
  clean: true,
  splitting: true,
});
