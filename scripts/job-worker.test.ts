// `KEEL_PROCESS_ROLE=jobs npm start`: the job process as `npm start` forks it beside the serving
// workers (scripts/serve.ts), started on its own. It analyses an uploaded document to the end,
// listens on no port, runs below the priority of request serving, and stops in order on SIGTERM.
// PostgreSQL only: the job process and this test share a database of this file's own (embedded
// PGlite is one process's); with PGlite, jobs run in the one serving process.
import { spawn } from "node:child_process";
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { closeDatabase } from "@/db/client";
import { startAnalysis } from "@/inngest/analysis-jobs";
import { acceptUpload } from "@/lib/documents/upload";
import { createTestDatabase, dropTestDatabase } from "@/scripts/test-database";
import { documentState } from "@/test/documents-harness";
import { createTenant } from "@/test/fixtures";
import { testDatabaseUrl } from "@/test/database-url";

const repo = path.resolve(import.meta.dirname, "..");
const adminUrl = process.env.TEST_DATABASE_URL?.trim();
const onPostgres = Boolean(testDatabaseUrl() && adminUrl);
let databaseUrl = "";

beforeAll(async () => {
  if (!onPostgres) return;
  await closeDatabase();
  databaseUrl = await createTestDatabase(adminUrl!, "keel_job_process");
  process.env.DATABASE_URL = databaseUrl;
}, 60_000);

afterAll(async () => {
  if (!onPostgres) return;
  await closeDatabase();
  await dropTestDatabase(adminUrl!, databaseUrl);
});

/** The nice value of a process (field 19 of /proc/<pid>/stat), or null off Linux. */
function niceness(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[16]);
  } catch {
    return null;
  }
}

/** Sockets the process listens on (TCP state 0A in /proc/<pid>/net/tcp*, owned by its inodes). */
function listensOn(pid: number): number {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const target = readlinkSync(`/proc/${pid}/fd/${fd}`);
      const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
      if (inode) inodes.add(inode);
    } catch {
      // closed meanwhile
    }
  }
  let listening = 0;
  for (const table of ["tcp", "tcp6"]) {
    for (const line of readFileSync(`/proc/${pid}/net/${table}`, "utf8").split("\n").slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields[3] === "0A" && inodes.has(fields[9]!)) listening++;
    }
  }
  return listening;
}

describe.skipIf(!onPostgres)("the job process (KEEL_PROCESS_ROLE=jobs)", () => {
  it("runs a document's analysis to the end, on no port, below request priority, and stops in order", async () => {
    const owner = await createTenant("Job process");
    const { document, request } = await acceptUpload(owner, {
      fileName: "turbines.md",
      bytes: new TextEncoder().encode("# Turbines\n\nThe northern turbines report their output every day."),
      collectionId: null,
    });
    await startAnalysis(request);

    const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: databaseUrl, DATABASE_POOL_SIZE: "3", KEEL_PROCESS_ROLE: "jobs", NODE_ENV: "test" };
    for (const name of ["INNGEST_DEV", "INNGEST_BASE_URL", "INNGEST_EVENT_KEY", "INNGEST_SIGNING_KEY"]) delete env[name];
    const child = spawn(process.execPath, ["--import", "tsx", "scripts/serve.ts"], { cwd: repo, env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    try {
      await vi.waitFor(() => expect(output).toContain("jobs run on the local executor, in a process of their own"), { timeout: 60_000, interval: 200 });
      await vi.waitFor(async () => expect((await documentState(document.id)).document?.status).toBe("ready"), { timeout: 90_000, interval: 500 });

      if (process.platform === "linux") {
        expect(niceness(child.pid!)).toBe(10);
        expect(listensOn(child.pid!)).toBe(0);
      }
      expect(output).not.toContain("Ready on");
    } finally {
      child.kill("SIGTERM");
    }
    expect(await exited).toBe(0);
  }, 180_000);
});
