// Per test file: point the process-wide database at the run's test database, close it after.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, inject } from "vitest";
import { closeDatabase } from "@/db/client";

const url = inject("testDatabaseUrl");
if (url) {
  process.env.DATABASE_URL = url;
  process.env.DATABASE_POOL_SIZE = "8";
} else {
  delete process.env.DATABASE_URL;
  process.env.KEEL_DATA_DIR = "memory://";
}

// Each file spills (and replays) metering records in a directory of its own, never the app's.
process.env.KEEL_METER_SPILL_DIR = mkdtempSync(path.join(tmpdir(), "keel-meter-spill-"));

afterAll(async () => {
  await closeDatabase();
});
