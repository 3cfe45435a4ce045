// Per test file: point the process-wide database at the run's test database, close it after.
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

afterAll(async () => {
  await closeDatabase();
});
