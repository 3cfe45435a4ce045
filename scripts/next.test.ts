// `npm start` in production refuses to run without its secrets, whether they are missing from
// the environment or from the .env files, and never generates them itself.
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const repo = path.resolve(import.meta.dirname, "..");
// Inside the repository, so `--import tsx` and the "@/" paths resolve; .data/ is git-ignored.
const scratch = path.join(repo, ".data", `start-test-${process.pid}`);

function npmStart(dir: string, extra: Record<string, string> = {}): Promise<{ code: number | null; output: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: "production", KEEL_WORKERS: "1" };
  for (const name of [
    "AUTH_SECRET",
    "AUTH_URL",
    "AUTH_TRUST_HOST",
    "DATABASE_URL",
    "INNGEST_DEV",
    "INNGEST_SIGNING_KEY",
    "INNGEST_EVENT_KEY",
    "INNGEST_BASE_URL",
  ])
    delete env[name];
  Object.assign(env, extra);
  const child = spawn(process.execPath, ["--import", "tsx", path.join(repo, "scripts/next.ts"), "start", "-p", "0"], { cwd: dir, env });
  let output = "";
  child.stdout.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr.on("data", (d: Buffer) => (output += d.toString()));
  return new Promise((resolve) => child.on("exit", (code) => resolve({ code, output })));
}

function freshDir(name: string): string {
  const dir = path.join(scratch, name);
  mkdirSync(dir, { recursive: true });
  return dir;
}

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("npm start in production", () => {
  it("refuses to start without AUTH_SECRET and AUTH_URL, and generates neither", async () => {
    const dir = freshDir("bare");
    const { code, output } = await npmStart(dir);
    expect(code).toBe(1);
    expect(output).toContain("refusing to start in production");
    expect(output).toContain("AUTH_SECRET is not set");
    expect(output).toContain("AUTH_URL is not set");
    expect(existsSync(path.join(dir, ".env.local"))).toBe(false);
  }, 60_000);

  it("reads them from .env files, and makes an existing .env.local private", async () => {
    const dir = freshDir("with-env-files");
    writeFileSync(path.join(dir, ".env.production"), `AUTH_SECRET=${"s".repeat(44)}\n`);
    writeFileSync(path.join(dir, ".env.local"), "# nothing yet\n", { mode: 0o644 });
    const { code, output } = await npmStart(dir);
    expect(code).toBe(1);
    expect(output).not.toContain("AUTH_SECRET");
    expect(output).toContain("AUTH_URL is not set");
    expect(statSync(path.join(dir, ".env.local")).mode & 0o777).toBe(0o600);
  }, 60_000);

  it("refuses to start with INNGEST_DEV set, which would leave /api/inngest unsigned, and says why", async () => {
    const { code, output } = await npmStart(freshDir("inngest-dev"), { AUTH_SECRET: "s".repeat(44), AUTH_URL: "https://keel.example.com", INNGEST_DEV: "1" });
    expect(code).toBe(1);
    expect(output).toContain("refusing to start in production");
    expect(output).toMatch(/INNGEST_DEV is set\. Dev Server mode accepts unsigned requests at \/api\/inngest/);
    expect(output).not.toContain("Ready on");
  }, 60_000);
});
