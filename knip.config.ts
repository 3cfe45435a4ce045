// Unused files, exports and dependencies (`npm run lint`). Next.js, Vitest, Playwright, ESLint,
// PostCSS and dependency-cruiser entries come from knip's plugins; below are the entry points no
// plugin can see because something loads them by path.
import type { KnipConfig } from "knip";

const config: KnipConfig = {
  entry: [
    // Run by hand or by npm scripts through `exec tsx …`, `tsx --import …`.
    "scripts/*.{ts,mjs}",
    "bench/*.{ts,mjs}",
    // Started as child processes or worker threads by path.
    "test/{api-worker,crashing-executor,quota-worker}.ts",
    "lib/documents/processing/worker.ts",
    // Records the conformance suite's exchanges against the real Inngest SDK (run by hand).
    "inngest/local-executor/conformance/record.ts",
    // The local executor's public API: a self-contained module (its README) that Keel reaches through
    // keel.ts; what an embedder may import is what its index exports, used here or not.
    "inngest/local-executor/index.ts",
    // dependency-cruiser's resolver settings, named in .dependency-cruiser.cjs.
    ".dependency-cruiser.resolve.cjs",
  ],
  project: ["**/*.{ts,tsx,mjs,cjs,css}"],
  // renice is the system's, not a package's (bench/retrieval-seed.ts lowers its own priority).
  ignoreBinaries: ["renice"],
  // Type packages of test/mail-catcher.ts's imports (mailparser, smtp-server ship no types); knip
  // does not tie them to their packages, though tsc needs them.
  ignoreDependencies: ["@types/mailparser", "@types/smtp-server"],
  compilers: {
    // Tailwind v4 is imported from CSS (`@import "tailwindcss"` in app/globals.css).
    css: (text: string) => [...text.matchAll(/(?<=@)import[^;]+/g)].join("\n"),
  },
};

export default config;
