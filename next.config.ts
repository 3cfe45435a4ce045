import type { NextConfig } from "next";

const nextConfig: NextConfig = {
  // PGlite ships WASM and data files that must be loaded from node_modules at run time;
  // bundling them breaks server actions and pages ("Extension bundle not found").
  // argon2 is a native addon. piscina starts its worker threads from a script beside its own
  // module (and they load lib/documents/processing/worker.ts through tsx, outside any bundle).
  serverExternalPackages: ["@electric-sql/pglite", "@electric-sql/pglite-pgvector", "@node-rs/argon2", "piscina"],
  poweredByHeader: false,
  // `npm run dev` serves every interface: a browser on http://127.0.0.1:3000 must get the dev
  // client's resources too (Next.js blocks them for any origin other than localhost by default,
  // and the page then never becomes interactive).
  allowedDevOrigins: ["127.0.0.1", "localhost"],
  typedRoutes: false,
  // `npm test` runs `tsc --noEmit` beside the build, so the build need not check the same types again
  // (34 s of a 2-core machine's build). Any other build checks them.
  typescript: { ignoreBuildErrors: process.env.KEEL_BUILD_SKIP_TYPECHECK === "1" },
  // forbidden() in pages: a member opening an owners-and-admins page gets a real 403, not a 200.
  experimental: { authInterrupts: true },
};

export default nextConfig;
