// Builds Keel and starts it the way `npm start` does, on a fresh database, for the benchmarks;
// signs a seeded user in over HTTP like a browser, and reads the server's memory from /proc.
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync, rmSync } from "node:fs";
import { createTestDatabase, dropTestDatabase } from "../scripts/test-database";
import { buildProduction, productionServerArgs } from "../scripts/compiled-server";

export interface AppServer {
  url: string;
  /** The worker process serving requests (KEEL_WORKERS=1). */
  workerPid(): number;
  stop(): Promise<void>;
}

/** Points this process and the server's environment at a fresh database; returns its clean-up. */
export async function freshDatabase(env: NodeJS.ProcessEnv, label: string): Promise<() => Promise<void>> {
  const adminUrl = (process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL)?.trim();
  delete env.DATABASE_URL;
  if (adminUrl) {
    const url = await createTestDatabase(adminUrl, label);
    process.env.DATABASE_URL = env.DATABASE_URL = url;
    return () => dropTestDatabase(adminUrl, url).catch(() => {});
  }
  const dataDir = `.data/${label}-${process.pid}`;
  process.env.KEEL_DATA_DIR = env.KEEL_DATA_DIR = dataDir;
  delete process.env.DATABASE_URL;
  return async () => {
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(`${dataDir}.lock`, { force: true });
  };
}

export function serverEnv(port: number): NodeJS.ProcessEnv {
  return {
    ...process.env,
    AUTH_SECRET: randomBytes(32).toString("base64url"),
    AUTH_URL: `http://127.0.0.1:${port}`,
    AUTH_TRUST_HOST: "true",
    NEXT_TELEMETRY_DISABLED: "1",
    NODE_ENV: "production",
    // No mail server here: people sign in without confirming their address (README, "Mail").
    KEEL_REQUIRE_EMAIL_VERIFICATION: "false",
  };
}

export async function startAppServer(port: number, env: NodeJS.ProcessEnv): Promise<AppServer> {
  if (process.env.BENCH_SKIP_BUILD !== "1") await buildProduction(env);
  // BENCH_SERVER_NODE_FLAGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles the server (its worker inherits them).
  const nodeFlags = (process.env.BENCH_SERVER_NODE_FLAGS ?? "").split(" ").filter(Boolean);
  const server: ChildProcess = spawn(process.execPath, [...nodeFlags, ...productionServerArgs(), "-p", String(port), "-H", "127.0.0.1"], {
    stdio: ["ignore", "pipe", "inherit"],
    env: { ...env, KEEL_WORKERS: "1" },
  });
  await new Promise<void>((resolve, reject) => {
    server.stdout!.on("data", (d: Buffer) => (d.toString().includes("Ready on") ? resolve() : undefined));
    server.on("exit", () => reject(new Error("the server exited")));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    workerPid() {
      const children = readFileSync(`/proc/${server.pid}/task/${server.pid}/children`, "utf8").trim().split(/\s+/).map(Number);
      return children[0] ?? server.pid!;
    },
    async stop() {
      if (server.exitCode !== null) return;
      server.kill("SIGTERM");
      await new Promise((resolve) => server.once("exit", resolve));
    },
  };
}

/** Resident memory of a process, in bytes (Linux). */
export function residentBytes(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, "utf8")
    .split("\n")
    .find((l) => l.startsWith("VmRSS:"));
  return Number(line?.match(/(\d+)/)?.[1] ?? 0) * 1024;
}

/** Signs in through Auth.js's credentials endpoint, as the sign-in form does; returns the cookie header. */
export async function signInOverHttp(baseUrl: string, email: string, password: string): Promise<string> {
  const jar = new Map<string, string>();
  const keep = (response: Response) => {
    for (const cookie of response.headers.getSetCookie()) {
      const [pair] = cookie.split(";");
      const [name, ...value] = pair!.split("=");
      jar.set(name!.trim(), value.join("="));
    }
  };
  const header = () => [...jar].map(([k, v]) => `${k}=${v}`).join("; ");
  const csrf = await fetch(`${baseUrl}/api/auth/csrf`);
  keep(csrf);
  const { csrfToken } = (await csrf.json()) as { csrfToken: string };
  const signedIn = await fetch(`${baseUrl}/api/auth/callback/credentials`, {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded", cookie: header() },
    body: new URLSearchParams({ csrfToken, email, password, callbackUrl: `${baseUrl}/documents` }),
  });
  keep(signedIn);
  if (![...jar.keys()].some((name) => name.includes("session-token"))) throw new Error(`sign-in failed (HTTP ${signedIn.status})`);
  return header();
}

/** A process and all its descendants (the primary, its serving workers, the job process), from /proc. */
export function processTree(pid: number): number[] {
  let children: number[] = [];
  try {
    children = readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
  return [pid, ...children.flatMap(processTree)];
}

/** Resident memory of a process and its descendants together, in bytes. */
export function treeResidentBytes(pid: number): number {
  return processTree(pid).reduce((sum, p) => {
    try {
      return sum + residentBytes(p);
    } catch {
      return sum; // exited meanwhile
    }
  }, 0);
}

/** CPU time (user + system) a process and its descendants have used so far, in milliseconds (Linux, 100 ticks a second). */
export function treeCpuMs(pid: number): number {
  return processTree(pid).reduce((sum, p) => {
    try {
      // Fields after the command name (which may hold spaces, so split after its closing parenthesis).
      const fields = readFileSync(`/proc/${p}/stat`, "utf8").split(") ")[1]!.split(" ");
      return sum + (Number(fields[11]) + Number(fields[12])) * 10;
    } catch {
      return sum;
    }
  }, 0);
}
