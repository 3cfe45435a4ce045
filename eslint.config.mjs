import nextVitals from "eslint-config-next/core-web-vitals";
import nextTypeScript from "eslint-config-next/typescript";

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
    ignores: [".next/**", "node_modules/**", ".data/**", "test-results/**", "playwright-report/**", "next-env.d.ts", "db/migrations/**"],
  },
];

export default config;
