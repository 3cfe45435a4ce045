// The PostgreSQL database of this test file's worker (test/global-setup.ts clones one per worker
// from a migrated template), or null when the tests run on embedded PGlite.
import { inject } from "vitest";

export function testDatabaseUrl(): string | null {
  const urls = inject("testDatabaseUrls");
  if (urls.length === 0) return null;
  // Vitest numbers its workers from 1 to maxWorkers.
  const worker = Number(process.env.VITEST_POOL_ID ?? "1");
  return urls[(worker - 1) % urls.length] ?? null;
}
