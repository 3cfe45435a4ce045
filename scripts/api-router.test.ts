// The production server's plain routes (no Next.js): /api/v1 and the health checks a load
// balancer polls, so a worker that serves only those never loads Next.js; everything else is
// left for Next.js (null).
import { spawnSync } from "node:child_process";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { plainRoutes } from "./api-router";

let server: http.Server;
let base = "";
const leftForNext: string[] = [];

beforeAll(async () => {
  const route = await plainRoutes();
  server = http.createServer((request, response) => {
    if (route(request, response) === null) {
      leftForNext.push(request.url ?? "");
      response.writeHead(299).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe("plainRoutes", () => {
  it("answers the liveness check itself", async () => {
    const response = await fetch(`${base}/api/health?probe=1`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: "ok" });
    expect(response.headers.get("cache-control")).toBe("no-store");
    expect((await fetch(`${base}/api/health`, { method: "HEAD" })).status).toBe(200);
  });

  it("answers the readiness check itself, naming its checks", async () => {
    const response = await fetch(`${base}/api/ready`);
    expect([200, 503]).toContain(response.status);
    const body = (await response.json()) as { status: string; checks: { name: string; ok: boolean }[] };
    expect(body.checks.length).toBeGreaterThan(0);
    expect(body.status).toBe(response.status === 200 ? "ready" : "not ready");
  });

  it("refuses other methods on the checks", async () => {
    const response = await fetch(`${base}/api/health`, { method: "POST" });
    expect(response.status).toBe(405);
    expect(response.headers.get("allow")).toBe("GET, HEAD, OPTIONS");
  });

  it("answers /api/v1 (a keyless call is refused by the API itself)", async () => {
    const response = await fetch(`${base}/api/v1/models`);
    expect(response.status).toBe(401);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe("invalid_api_key");
  });

  it("leaves pages and every other route to Next.js", async () => {
    for (const path of ["/chat", "/api/healthz", "/api/auth/session", "/"]) expect((await fetch(`${base}${path}`)).status).toBe(299);
    expect(leftForNext).toEqual(["/chat", "/api/healthz", "/api/auth/session", "/"]);
  });
});

describe("what the plain routes load", () => {
  it("loads no Next.js server module: one loaded before Next.js starts keeps Next.js from starting", { timeout: 60_000 }, async () => {
    const repo = path.resolve(import.meta.dirname, "..");
    const probe = [
      'const { plainRoutes } = await import("./scripts/api-router.ts");',
      "await plainRoutes();",
      'const { createRequire } = await import("node:module");',
      'console.log(JSON.stringify(Object.keys(createRequire(import.meta.url).cache).filter((file) => file.includes("/node_modules/next/"))));',
    ].join("\n");
    const child = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", probe], {
      cwd: repo,
      encoding: "utf8",
      env: { ...process.env, NODE_ENV: "production", KEEL_DATA_DIR: "memory://" },
    });
    expect(child.status, child.stderr).toBe(0);
    const nextModules = JSON.parse(child.stdout.trim().split("\n").at(-1)!) as string[];
    expect(nextModules).toEqual([]);
  });
});
