import { defineConfig } from 'tsup';

export default defineConfig({
  entry: {
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
  },
  format: ['esm'],
  target: 'node20',
  platform: 'node',
  dts: true,
  sourcemap: true,
  clean: true,
  splitting: true,
});
