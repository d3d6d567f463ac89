import { defineConfig, devices } from '@playwright/test';

/**
 * Browser journeys and API tests against a production build on a real PostgreSQL (the database that
 * server/cli/with-test-db.ts created). Uses Debian's Chromium; never a downloaded browser.
 */
const PORT = Number(process.env.E2E_PORT ?? 3100);
const BASE_URL = `http://localhost:${PORT}`;
// The local Binance (e2e/local-exchange.ts): no test reaches a real exchange host.
const EXCHANGE_PORT = Number(process.env.E2E_EXCHANGE_PORT ?? PORT + 1000);
const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-dev-shm-usage',
];

/** The journeys that run on a phone too (see the phone project below). */
const PHONE_JOURNEYS = ['auth', 'sign-in-text', 'first-run', 'orders', 'kill-switch', 'chart-readout'];

const launchOptions = { executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: CHROMIUM_FLAGS };

export default defineConfig({
  testDir: './e2e',
  globalSetup: './e2e/global-setup.ts',
  fullyParallel: false,
  workers: 1,
  forbidOnly: !!process.env.CI,
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: process.env.CI ? [['list']] : [['list'], ['html', { open: 'never' }]],
  use: { baseURL: BASE_URL, trace: 'retain-on-failure', screenshot: 'only-on-failure', launchOptions },
  projects: [
    // The chart's browser speed measurement (a year of 1m bars: long tasks, page memory) is a benchmark, not a test:
    // `npm run bench:chart-browser` runs it alone (CHART_BENCH=1), never `npm test` (speed is measured in bench/).
    { name: 'desktop', use: { ...devices['Desktop Chrome'], launchOptions }, testIgnore: ['**/chart-year.spec.ts'] },
    ...(process.env.CHART_BENCH ? [{ name: 'chart-bench', use: { ...devices['Desktop Chrome'], launchOptions }, testMatch: ['**/chart-year.spec.ts'] }] : []),
    // Every page's phone layout is measured with real objects at 360 px by phone.sweep.spec.ts (desktop project).
    // On a Pixel 7 run the journeys whose phone interface differs from the desktop's: the menu and sign-in, the first
    // run, the order ticket, the header's kill switch, the price chart's readout under a finger. The other journeys'
    // steps are the desktop's at a narrower width (CI time is bounded); every page's layout is the phone sweep's.
    {
      name: 'phone',
      use: { ...devices['Pixel 7'], launchOptions },
      testMatch: PHONE_JOURNEYS.map((name) => `**/${name}.journey.spec.ts`),
    },
  ],
  webServer: [
    {
      // Started first: the app's web server and worker reach "binance" here (CRYPTOBOT_EXCHANGE_URLS below).
      command: 'npx tsx e2e/local-exchange-server.ts',
      url: `http://127.0.0.1:${EXCHANGE_PORT}/api/v3/ping`,
      timeout: 60_000,
      reuseExistingServer: false,
      stdout: 'pipe',
      stderr: 'pipe',
      env: { E2E_EXCHANGE_PORT: String(EXCHANGE_PORT) },
    },
    {
      // A production build, then web + worker exactly as `npm start` runs them (DATABASE_URL is set, so no seeding).
      command: process.env.E2E_SKIP_BUILD ? 'npx tsx server/cli/start.ts' : 'npx next build && npx tsx server/cli/start.ts',
      url: `${BASE_URL}/api/health`,
      timeout: 300_000,
      reuseExistingServer: false,
      stdout: 'pipe',
      stderr: 'pipe',
      env: {
        PORT: String(PORT),
        NEXTAUTH_URL: BASE_URL,
        WORKER_HEARTBEAT_MS: '1000',
        LOG_LEVEL: 'warn',
        CRYPTOBOT_EXCHANGE_URLS: JSON.stringify({ binance: `http://127.0.0.1:${EXCHANGE_PORT}` }),
        // The journeys register many users, all from this machine's one address: registration is open and
        // its per-IP limit out of the way (the throttles are tested under concurrency in vitest).
        CRYPTOBOT_REGISTRATION: 'open',
        CRYPTOBOT_REGISTRATIONS_PER_IP: '100000',
        CRYPTOBOT_API_KEY_FAILURES_PER_IP: '100000',
        // Notification channels point at receivers the tests start on 127.0.0.1 (server/testing/notify).
        NOTIFY_ALLOW_PRIVATE_NETWORKS: 'true',
      },
    },
  ],
});
