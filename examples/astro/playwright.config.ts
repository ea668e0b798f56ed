import { defineConfig, devices } from '@playwright/test';

// The browser journey against the real backend (started by tests/stack.ts). Debian's Chromium,
// never a downloaded browser; one worker, generous timeouts, explicit waits only.
export default defineConfig({
  testDir: 'tests',
  globalSetup: './tests/stack.ts',
  outputDir: 'test-results/artifacts',
  fullyParallel: false,
  workers: 1,
  retries: 0,
  timeout: 180_000,
  expect: { timeout: 20_000 },
  reporter: [['list']],
  use: {
    ...devices['Desktop Chrome'],
    channel: undefined,
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-dev-shm-usage'],
    },
    actionTimeout: 20_000,
    navigationTimeout: 30_000,
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
  },
});
