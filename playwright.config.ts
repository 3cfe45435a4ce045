import { chromium, defineConfig, devices } from "@playwright/test";
import { findChromium } from "./scripts/find-chromium";

const port = Number(process.env.E2E_PORT ?? 3210);

// CHROMIUM_PATH, else the system's Chromium (/usr/bin/chromium or chromium-browser), else
// Playwright's own download if installed; otherwise this stops with what to install. The flags
// keep it off the network and working as root in a container.
const chromiumPath = findChromium({ playwrightChromium: () => chromium.executablePath() });

const browserUse = { ...devices["Desktop Chrome"], channel: undefined };
const measuredAlone = ["**/hostile-api.spec.ts", "**/hostile-uploads.spec.ts"];

export default defineConfig({
  testDir: "e2e",
  // Two spec files at a time (each file's tests in order): most of a spec's time is spent waiting
  // on a server, a timer or the browser, so two fit on two cores. Specs that start a server of
  // their own take its port from e2e/pages/ports.ts, where no two share one.
  fullyParallel: false,
  workers: 2,
  forbidOnly: Boolean(process.env.CI),
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: [["list"]],
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
  projects: [
    { name: "chromium", use: browserUse, testIgnore: measuredAlone },
    // These time the other workspace's requests against a bound while one attacks: they run once
    // the rest is done, one at a time, so another spec's load never counts against Keel.
    { name: "measured alone", use: browserUse, testMatch: measuredAlone, workers: 1, dependencies: ["chromium"] },
  ],
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
