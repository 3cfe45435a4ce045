import { chromium, defineConfig, devices } from "@playwright/test";
import { findChromium } from "./scripts/find-chromium";

const port = Number(process.env.E2E_PORT ?? 3210);

// CHROMIUM_PATH, else the system's Chromium (/usr/bin/chromium or chromium-browser), else
// Playwright's own download if installed; otherwise this stops with what to install. The flags
// keep it off the network and working as root in a container.
const chromiumPath = findChromium({ playwrightChromium: () => chromium.executablePath() });

export default defineConfig({
  testDir: "e2e",
  // One spec file at a time: on a 2-core machine two at once were no faster (the servers, the
  // builds and Chromium already fill both cores) and put timing-bound specs beside each other.
  fullyParallel: false,
  workers: 1,
  forbidOnly: Boolean(process.env.CI),
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  // The digest last: CI keeps only the tail of the output, and it puts each failure's error there.
  reporter: [["list"], ["./e2e/failure-digest.ts"]],
  outputDir: "test-results",
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    screenshot: "only-on-failure",
    trace: "retain-on-failure",
    launchOptions: {
      executablePath: chromiumPath,
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-quic",
      ],
    },
  },
  projects: [{ name: "chromium", use: { ...devices["Desktop Chrome"], channel: undefined } }],
  webServer: {
    command: "npx tsx e2e/serve.ts",
    url: `http://127.0.0.1:${port}/sign-in`,
    // next build alone can take over 10 minutes on a busy 2-core machine.
    timeout: 1_200_000,
    reuseExistingServer: false,
    stdout: "pipe",
    stderr: "pipe",
    gracefulShutdown: { signal: "SIGTERM", timeout: 15_000 },
  },
});
