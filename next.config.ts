import type { NextConfig } from "next";

const nextConfig: NextConfig = {
  // PGlite ships WASM and data files that must be loaded from node_modules at run time;
  // bundling them breaks server actions and pages ("Extension bundle not found").
  // argon2 is a native addon.
  serverExternalPackages: ["@electric-sql/pglite", "@electric-sql/pglite-pgvector", "@node-rs/argon2"],
  poweredByHeader: false,
  typedRoutes: false,
  // forbidden() in pages: a member opening an owners-and-admins page gets a real 403, not a 200.
  experimental: { authInterrupts: true },
};

export default nextConfig;
