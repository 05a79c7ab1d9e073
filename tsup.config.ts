import { defineConfig } from 'tsup';

const entry = {
  'lib/index': 'lib/index.ts',
  'lib/client/index': 'lib/client/index.ts',
  'transports/ws': 'transports/ws.ts',
  'transports/stdio': 'transports/stdio.ts',
  'transports/stdio-client': 'transports/stdio-client.ts',
  'runtime/index': 'runtime/index.ts',
  'endpoints/canvas-host': 'endpoints/canvas-host.ts',
  'channels/telegram': 'channels/telegram.ts',
  'channels/whatsapp': 'channels/whatsapp.ts',
  'bin/openclaw': 'bin/openclaw.ts',
};
const { 'bin/openclaw': _cli, ...libraryEntries } = entry;

export default defineConfig({
  entry,
  format: ['esm'],
  target: 'node20',
  platform: 'node',
  // The CLI is a program, not an API: no declaration file for it.
  dts: { entry: libraryEntries },
  sourcemap: true,
  clean: true,
  splitting: true,
});
