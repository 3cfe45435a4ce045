// `npm run db:migrate`: applies Keel's migrations to DATABASE_URL (or the embedded database under
// KEEL_DATA_DIR) and exits. The app applies them itself on first use; this is for deploys that
// migrate before the new version starts taking traffic.
import nextEnv from "@next/env";
import { closeDatabase, engineConfigFromEnv, getDatabase } from "../db/client";

nextEnv.loadEnvConfig(process.cwd());
const config = engineConfigFromEnv();
await getDatabase();
await closeDatabase();
console.log(`keel: migrations applied (${config.kind === "postgres" ? "PostgreSQL" : `embedded PGlite in ${config.dataDir}`})`);
