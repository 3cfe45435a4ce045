// Vitest global setup: a fresh PostgreSQL database per run when TEST_DATABASE_URL is set
// (migrated once here), else each test file opens its own in-memory embedded PGlite.
import type { TestProject } from "vitest/node";
import { openDatabase } from "@/db/engine";
import { createTestDatabase, dropTestDatabase } from "@/scripts/test-database";

declare module "vitest" {
  export interface ProvidedContext {
    testDatabaseUrl: string | null;
  }
}

export default async function setup(project: TestProject) {
  const adminUrl = process.env.TEST_DATABASE_URL?.trim();
  if (!adminUrl) {
    project.provide("testDatabaseUrl", null);
    return;
  }
  const url = await createTestDatabase(adminUrl, "keel_test");
  const database = await openDatabase({ kind: "postgres", url, maxConnections: 2 });
  await database.close();
  project.provide("testDatabaseUrl", url);
  return async () => {
    await dropTestDatabase(adminUrl, url);
  };
}
