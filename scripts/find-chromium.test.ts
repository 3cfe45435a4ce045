import { describe, expect, it } from "vitest";
import { findChromium, noChromiumMessage } from "./find-chromium";

const on =
  (...present: string[]) =>
  (path: string) =>
    present.includes(path);
const bundled = "/root/.cache/ms-playwright/chromium-1200/chrome-linux/chrome";

describe("findChromium", () => {
  it("prefers CHROMIUM_PATH, then the system's Chromium, then Playwright's download", () => {
    const all = on("/opt/chrome", "/usr/bin/chromium", "/usr/bin/chromium-browser", bundled);
    expect(findChromium({ env: { CHROMIUM_PATH: "/opt/chrome" }, exists: all, playwrightChromium: () => bundled })).toBe("/opt/chrome");
    expect(findChromium({ env: {}, exists: all, playwrightChromium: () => bundled })).toBe("/usr/bin/chromium");
    expect(findChromium({ env: {}, exists: on("/usr/bin/chromium-browser", bundled), playwrightChromium: () => bundled })).toBe("/usr/bin/chromium-browser");
    expect(findChromium({ env: {}, exists: on(bundled), playwrightChromium: () => bundled })).toBe(bundled);
  });

  it("says exactly what to install when there is none", () => {
    const none = { env: {}, exists: on(), playwrightChromium: () => bundled };
    expect(() => findChromium(none)).toThrow(noChromiumMessage);
    expect(noChromiumMessage).toContain("sudo apt-get install chromium");
    expect(noChromiumMessage).toContain("npx playwright install chromium");
    expect(() =>
      findChromium({
        env: {},
        exists: on(),
        playwrightChromium: () => {
          throw new Error("unsupported platform");
        },
      }),
    ).toThrow(noChromiumMessage);
    expect(() => findChromium({ env: { CHROMIUM_PATH: "/nowhere" }, exists: on("/usr/bin/chromium") })).toThrow(/CHROMIUM_PATH is \/nowhere/);
  });
});
