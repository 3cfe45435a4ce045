// Per test file: point the process-wide database at its worker's test database, close it after.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll } from "vitest";
import { closeDatabase } from "@/db/client";
import { testDatabaseUrl } from "./database-url";

const url = testDatabaseUrl();
if (url) {
  process.env.DATABASE_URL = url;
  process.env.DATABASE_POOL_SIZE = "8";
} else {
  delete process.env.DATABASE_URL;
  process.env.KEEL_DATA_DIR = "memory://";
}

// Alert evaluation reads every tenant with recent calls: test files share the database, so a cron
// tick would open alerts (and notify owners) in other files' tenants. Its own tests turn it on.
process.env.KEEL_ALERTS = "off";

// Each file spills (and replays) metering records in a directory of its own, never the app's.
process.env.KEEL_METER_SPILL_DIR = mkdtempSync(path.join(tmpdir(), "keel-meter-spill-"));
// And keeps uploaded originals in a directory of its own.
process.env.KEEL_STORAGE_DIR = mkdtempSync(path.join(tmpdir(), "keel-storage-"));

afterAll(async () => {
  await closeDatabase();
});
