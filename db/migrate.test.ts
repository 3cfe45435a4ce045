// Start-up migrations on PostgreSQL: concurrent start-ups serialise on the advisory lock, and a
// pool of a single connection migrates too (the lock's transaction and the migrator share it).
import { readFileSync } from "node:fs";
import path from "node:path";
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { createTestDatabase, dropTestDatabase } from "@/scripts/test-database";
import { openDatabase } from "./engine";
import { migrationsFolder } from "./migrate";
import { rawRows } from "./raw-rows";

const adminUrl = process.env.TEST_DATABASE_URL?.trim();

describe.skipIf(!adminUrl)("start-up migrations on PostgreSQL", () => {
  it("apply with one connection, and twice at once without harm", async () => {
    const url = await createTestDatabase(adminUrl!, "keel_migrate");
    try {
      const opened = await Promise.all([
        openDatabase({ kind: "postgres", url, maxConnections: 1 }),
        openDatabase({ kind: "postgres", url, maxConnections: 1 }),
      ]);
      const [first] = opened;
      const applied = await rawRows<{ n: number }>(first!.db, sql`select count(*)::int as n from drizzle.__drizzle_migrations`);
      const journal = JSON.parse(readFileSync(path.join(migrationsFolder, "meta", "_journal.json"), "utf8")) as { entries: unknown[] };
      expect(applied).toEqual([{ n: journal.entries.length }]);
      await Promise.all(opened.map((database) => database.close()));
    } finally {
      await dropTestDatabase(adminUrl!, url);
    }
  }, 60_000);
});
