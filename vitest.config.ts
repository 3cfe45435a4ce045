import path from "node:path";
import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: { alias: { "@": path.resolve(import.meta.dirname) } },
  test: {
    include: ["{core,lib,db,inngest,scripts,test}/**/*.test.ts"],
    globalSetup: ["test/global-setup.ts"],
    setupFiles: ["test/setup.ts"],
    environment: "node",
    pool: "forks",
    testTimeout: 30_000,
    // next-auth imports "next/server" without an extension, which Node's ESM loader cannot resolve:
    // inlined, Vite resolves it, so tests can import route modules behind the guard builders.
    server: { deps: { inline: ["next-auth"] } },
    hookTimeout: 60_000,
  },
});
