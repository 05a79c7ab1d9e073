import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    pool: 'forks',
    // Gateways started by tests do not advertise themselves on the network (mDNS); the discovery
    // tests turn it back on for their own gateways.
    env: { OPENCLAW_DISABLE_BONJOUR: '1' },
  },
});
