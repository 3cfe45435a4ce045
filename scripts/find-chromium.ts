// Which Chromium the end-to-end tests drive: CHROMIUM_PATH if set, else the distribution's
// Chromium, else Playwright's own download if it is installed; otherwise a message that says
// exactly what to install.
import { existsSync } from "node:fs";

export const systemChromiumPaths = ["/usr/bin/chromium", "/usr/bin/chromium-browser"];

export interface ChromiumSearch {
  env?: Record<string, string | undefined>;
  exists?: (path: string) => boolean;
  /** Where Playwright's own Chromium would be (`chromium.executablePath()`), if Playwright knows. */
  playwrightChromium?: () => string | undefined;
}

export const noChromiumMessage = [
  "No Chromium found for the end-to-end tests. Install one of:",
  "  - Debian/Ubuntu: sudo apt-get install chromium   (older Ubuntu: chromium-browser)",
  "  - Playwright's own build: npx playwright install chromium",
  "or set CHROMIUM_PATH to a Chromium or Chrome executable.",
].join("\n");

export function findChromium(search: ChromiumSearch = {}): string {
  const { env = process.env, exists = existsSync, playwrightChromium } = search;
  const chosen = env.CHROMIUM_PATH?.trim();
  if (chosen) {
    if (!exists(chosen)) throw new Error(`CHROMIUM_PATH is ${chosen}, which does not exist.\n${noChromiumMessage}`);
    return chosen;
  }
  const system = systemChromiumPaths.find((path) => exists(path));
  if (system) return system;
  let bundled: string | undefined;
  try {
    bundled = playwrightChromium?.();
  } catch {
    bundled = undefined; // Playwright has no registry entry for this platform
  }
  if (bundled && exists(bundled)) return bundled;
  throw new Error(noChromiumMessage);
}
