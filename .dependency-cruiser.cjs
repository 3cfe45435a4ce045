// Import rules checked by `npm run lint` (dependency-cruiser). Type-only imports count too: a cycle
// through types still ties two modules together.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "no-circular",
      comment: "Modules import each other in one direction: a cycle makes load order matter and the two files one unit.",
      severity: "error",
      from: {},
      to: { circular: true },
    },
    {
      name: "config-and-observability-below-jobs",
      comment:
        "Settings and observability are read by the jobs layer, never the other way; which job runtime runs lives in core/job-runtime.ts. Tests that drive a job may.",
      severity: "error",
      from: { path: "^lib/(config|observability)/", pathNot: "\\.test\\.ts$" },
      to: { path: "^inngest/" },
    },
    {
      name: "db-below-lib",
      comment:
        "Data flows app → lib → db: db/ imports nothing from lib/ (the logger and process singletons live in core/). Its tests drive the whole stack and may.",
      severity: "error",
      from: { path: "^db/", pathNot: "\\.test\\.ts$" },
      to: { path: "^lib/" },
    },
    {
      name: "core-is-the-floor",
      comment:
        "core/ is what every layer may import, so it imports none of them; its one exception is the local executor's defaults (inngest/local-executor/settings.ts), a leaf that imports nothing.",
      severity: "error",
      from: { path: "^core/", pathNot: "\\.test\\.ts$" },
      to: { path: "^(app|components|db|lib|inngest)/", pathNot: "^inngest/local-executor/settings\\.ts$" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "^(\\.next|\\.data|node_modules|test-results|playwright-report|db/migrations)/" },
    tsPreCompilationDeps: true,
    webpackConfig: { fileName: ".dependency-cruiser.resolve.cjs" },
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["import", "require", "node", "default", "types"],
      extensions: [".ts", ".tsx", ".js", ".mjs", ".cjs", ".json"],
    },
  },
};
