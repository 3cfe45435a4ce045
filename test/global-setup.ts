// Vitest global setup: when TEST_DATABASE_URL is set, a fresh PostgreSQL database per run,
// migrated once here and cloned once per worker (on a machine with more cores, test files run
// side by side, and a file must not meet another's rows, jobs or advisory locks); else each test
// file opens its own in-memory embedded PGlite.
import type { TestProject } from "vitest/node";
import { openDatabase } from "@/db/engine";
import { createTestDatabase, dropTestDatabase } from "@/scripts/test-database";
import { unitTestWorkers } from "./workers";

declare module "vitest" {
  export interface ProvidedContext {
    /** One database per worker (test/database-url.ts picks this file's); empty on PGlite. */
    testDatabaseUrls: string[];
  }
}

export default async function setup(project: TestProject) {
  const adminUrl = process.env.TEST_DATABASE_URL?.trim();
  if (!adminUrl) {
    project.provide("testDatabaseUrls", []);
    return;
  }
  const template = await createTestDatabase(adminUrl, "keel_test");
  const database = await openDatabase({ kind: "postgres", url: template, maxConnections: 2 });
  await database.close();
  // Cloned one after another: PostgreSQL copies a template only while nobody else is connected to it.
  const urls: string[] = [];
  for (let worker = 1; worker <= unitTestWorkers; worker++) urls.push(await createTestDatabase(adminUrl, "keel_test", { template }));
  project.provide("testDatabaseUrls", urls);
  return async () => {
    for (const url of [...urls, template]) await dropTestDatabase(adminUrl, url);
  };
}
