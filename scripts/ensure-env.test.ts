import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ensureLocalEnv } from "./ensure-env";

const dirs: string[] = [];
function freshDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), "keel-env-"));
  dirs.push(dir);
  return dir;
}
afterEach(() => dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));

describe("ensureLocalEnv (npm run dev)", () => {
  it("generates an AUTH_SECRET into a new .env.local readable by its owner only", () => {
    const dir = freshDir();
    const saved = process.env.AUTH_SECRET;
    delete process.env.AUTH_SECRET;
    try {
      expect(ensureLocalEnv(dir)).toContain("AUTH_SECRET");
    } finally {
      if (saved !== undefined) process.env.AUTH_SECRET = saved;
    }
    const file = path.join(dir, ".env.local");
    expect(readFileSync(file, "utf8")).toMatch(/^AUTH_SECRET=[A-Za-z0-9_-]{43}$/m);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it("makes an existing .env.local private too, keeping what it holds", () => {
    const dir = freshDir();
    const file = path.join(dir, ".env.local");
    writeFileSync(file, "AUTH_SECRET=mine\nAUTH_TRUST_HOST=true\n", { mode: 0o644 });
    ensureLocalEnv(dir);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, "utf8")).toMatch(/^AUTH_SECRET=mine$/m);
  });
});
