import nextVitals from "eslint-config-next/core-web-vitals";
import nextTypeScript from "eslint-config-next/typescript";
import regexp from "eslint-plugin-regexp";
import keel from "./scripts/eslint/entry-point-guards.mjs";

const config = [
  ...nextVitals,
  ...nextTypeScript,
  {
    rules: {
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
    },
  },
  {
    // Rows are reached only through the scoped paths in db/scope.ts (row-level security applies there).
    files: ["app/**", "lib/**", "inngest/**"],
    rules: {
      "no-restricted-imports": [
        "error",
        { paths: [{ name: "@/db/client", importNames: ["getDb", "getDatabase"], message: "Use withTenant / withUser / withSystem from @/db/scope." }] },
      ],
    },
  },
  {
    // The local executor stands apart (inngest/local-executor/README.md): its core speaks Inngest's
    // protocol through the `inngest` SDK and reaches storage, logging and settings only through what
    // it is given. Keel's database, logger and settings enter through keel-store.ts and keel.ts alone.
    files: ["inngest/local-executor/**/*.ts"],
    ignores: ["inngest/local-executor/keel.ts", "inngest/local-executor/keel-store.ts", "inngest/local-executor/**/*.test.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              regex: "^(?!(node:[a-z_/]+|inngest(/[\\w./-]+)?|zod(/[\\w./-]+)?|croner|\\.{1,2}/[\\w./-]+)$)",
              message:
                "The local executor imports only node: built-ins, inngest, zod, croner and its own files; Keel reaches it through keel.ts and keel-store.ts.",
            },
            {
              regex: "^(\\.{1,2}/)+keel(-store)?$",
              message: "The local executor's core must not depend on Keel's wiring (keel.ts, keel-store.ts): inject what it needs instead.",
            },
            {
              regex: "^(\\.\\./){2,}",
              message: "The local executor imports nothing from outside inngest/local-executor/; Keel reaches it through keel.ts and keel-store.ts.",
            },
          ],
        },
      ],
    },
  },
  {
    // ...and nothing of its top level reaches out of its folder (its subfolders may reach up into it).
    files: ["inngest/local-executor/*.ts"],
    ignores: ["inngest/local-executor/keel.ts", "inngest/local-executor/keel-store.ts", "inngest/local-executor/*.test.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              regex: "^(?!(node:[a-z_/]+|inngest(/[\\w./-]+)?|zod(/[\\w./-]+)?|croner|\\./[\\w./-]+)$)",
              message:
                "The local executor imports only node: built-ins, inngest, zod, croner and its own files; Keel reaches it through keel.ts and keel-store.ts.",
            },
            {
              regex: "^(\\./)+keel(-store)?$",
              message: "The local executor's core must not depend on Keel's wiring (keel.ts, keel-store.ts): inject what it needs instead.",
            },
          ],
        },
      ],
    },
  },
  {
    // Every page, route handler and server action declares who may call it (scripts/eslint/entry-point-guards.mjs).
    files: ["app/**/*.ts", "app/**/*.tsx"],
    plugins: { keel },
    rules: { "keel/entry-point-guards": "error" },
  },
  {
    // Data flows app → lib → db: client components never touch the database layer.
    files: ["components/**"],
    rules: { "no-restricted-imports": ["error", { patterns: [{ group: ["@/db/*", "@/db"], message: "components/ must not import from db/." }] }] },
  },
  {
    // Every pattern applied to a tenant's text must run in linear time: a pattern that can backtrack
    // or rescan (overlapping adjacent quantifiers, an unanchored run before a failing suffix) lets
    // one upload or one prompt hold a thread for minutes.
    files: ["lib/documents/**", "lib/text/**", "lib/ai/offline/**", "lib/ai/tokens.ts"],
    ignores: ["**/*.test.ts"],
    plugins: { regexp },
    rules: { "regexp/no-super-linear-backtracking": "error", "regexp/no-super-linear-move": "error" },
  },
  {
    ignores: [".next/**", "node_modules/**", ".data/**", "test-results/**", "playwright-report/**", "next-env.d.ts", "db/migrations/**"],
  },
];

export default config;
