import path from "node:path";
import { defineConfig } from "vitest/config";
import { unitTestWorkers } from "./test/workers";

export default defineConfig({
  resolve: { alias: { "@": path.resolve(import.meta.dirname) } },
  test: {
    include: ["{core,lib,db,inngest,scripts,test}/**/*.test.ts"],
    globalSetup: ["test/global-setup.ts"],
    setupFiles: ["test/setup.ts"],
    environment: "node",
    pool: "forks",
    maxWorkers: unitTestWorkers,
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
