import nextVitals from "eslint-config-next/core-web-vitals";
import nextTypeScript from "eslint-config-next/typescript";
import regexp from "eslint-plugin-regexp";

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
