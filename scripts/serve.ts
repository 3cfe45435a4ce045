// `npm start`: the production server for a built app (`next build`); `npm run dev` runs it too,
// in development mode (`--dev`), so both put requests through the same front door.
// - Every request's TCP peer is stamped into a private header before Next.js or the API sees it
//   (lib/http/peer-address.ts): sign-in and sign-up throttling need an address a client cannot
//   choose, and Next.js passes a client's own X-Forwarded-For through as is.
// - Several worker processes share one port (node:cluster hands each new connection to the next
//   worker): one Node.js process tops out at one core, and the gateway's hot path is CPU-bound in
//   the app process. Workers share nothing but the database, where quotas, caches and metering
//   are already atomic, and cache invalidations travel between them by LISTEN/NOTIFY.
// - /api/v1 (the OpenAI-compatible API) is served straight from its route modules, the very
//   handlers `next dev` runs, on Node's http server: Next.js's request pipeline would add more
//   than the whole gateway costs (see README, "Benchmark"); so are /api/health and /api/ready.
//   Everything else goes through Next.js, which each worker loads with the first request that
//   needs it: a worker serving only the API idles at about 190 MiB instead of about 320.
// - In production it refuses to start without AUTH_SECRET and AUTH_URL (lib/config/production-config.ts).
// - `--dev`: one process, Next.js in development mode (hot reloading: Next.js answers the HMR
//   websocket upgrades on this server itself), /api/v1 through Next.js so its routes reload too.
//
//   KEEL_WORKERS  number of workers (default: one per core with PostgreSQL; always 1 on embedded
//                 PGlite, whose data directory only one process may open)
//   PORT, HOSTNAME (or -p / -H)   where to listen (default 0.0.0.0:3000)
// - Without an Inngest server (INNGEST_DEV, INNGEST_BASE_URL or Inngest keys), the local executor
//   runs the app's jobs (inngest/local-executor/): with PostgreSQL, in a worker process of its own
//   that serves no requests (scripts/job-worker.ts), so no analysis holds up a request; on embedded
//   PGlite and in --dev, in the one process. SIGTERM stops it too.
//
//   KEEL_PROCESS_ROLE  what this start runs: `all` (default) as above; `web`, the serving workers
//                      only (jobs run on another instance, or an Inngest server); `jobs`, the local
//                      executor only, in this one process, on no port
//   KEEL_CPU_PROFILE_DIR  every worker writes a V8 CPU profile there when it exits (diagnostics)
//   KEEL_IDLE_GC=1  serving workers collect a burst's garbage once idle (lib/server/idle-collection.ts)
import cluster from "node:cluster";
import { existsSync } from "node:fs";
import { createServer, type RequestListener } from "node:http";
import path from "node:path";
import { availableParallelism } from "node:os";
import nextEnv from "@next/env";
import { productionConfigProblems } from "@/lib/config/production-config";
import { markPeerAddressAuthoritative, stampPeerAddress } from "@/lib/http/peer-address";
import { withRequestId } from "@/lib/http/request-id";
import { processSingletonIfCreated } from "@/core/process-singleton";
import { collectWhenIdle, idleCollectionEnabled } from "@/lib/server/idle-collection";
import { beginShutdown, processWorkSettled, stopProcessWork } from "@/lib/server/shutdown";
import { jobRuntime } from "@/core/job-runtime";
import { plainRoutes } from "./api-router";
import { startJobWorker } from "./job-worker";

function option(flags: string[], fallback: string): string {
  const args = process.argv.slice(2);
  const index = args.findIndex((a) => flags.includes(a));
  return index >= 0 && args[index + 1] ? args[index + 1]! : fallback;
}

const dev = process.argv.slice(2).includes("--dev");
// As `next start` (or `next dev`) does: the matching builds of React and Next.js, and .env files read for that mode.
(process.env as Record<string, string | undefined>).NODE_ENV ??= dev ? "development" : "production";
nextEnv.loadEnvConfig(process.cwd(), dev);
const port = Number(option(["-p", "--port"], process.env.PORT ?? "3000"));
const hostname = option(["-H", "--hostname"], process.env.HOSTNAME ?? "0.0.0.0");

function workerCount(): number {
  const requested = Number(process.env.KEEL_WORKERS ?? Math.min(availableParallelism(), 8));
  if (!process.env.DATABASE_URL) {
    if (requested > 1 && process.env.KEEL_WORKERS) console.warn("keel: embedded PGlite serves from one process; set DATABASE_URL for more workers");
    return 1;
  }
  return Number.isInteger(requested) && requested >= 1 ? requested : 1;
}

/** What a process runs; the primary also sets it on each worker it forks. */
type ProcessRole = "all" | "web" | "jobs";

function processRole(): ProcessRole {
  const value = process.env.KEEL_PROCESS_ROLE?.trim() || "all";
  if (value === "all" || value === "web" || value === "jobs") return value;
  console.error(`keel: KEEL_PROCESS_ROLE must be all, web or jobs, not "${value}"`);
  process.exit(1);
}

/**
 * Whether the primary forks a job process beside the serving workers: with the local executor on
 * PostgreSQL (several processes may open it; embedded PGlite allows one).
 */
function jobsApart(role: ProcessRole): boolean {
  return role === "all" && jobRuntime().kind === "local-executor" && Boolean(process.env.DATABASE_URL);
}

/** How long a stopping worker may take, from SIGTERM to exit. */
const GRACE_MS = (() => {
  const value = Number(process.env.KEEL_SHUTDOWN_GRACE_MS ?? 30_000);
  if (Number.isFinite(value) && value >= 0) return value;
  console.warn("keel: KEEL_SHUTDOWN_GRACE_MS must be a number of milliseconds; using 30000");
  return 30_000;
})();
/**
 * The end of the grace kept for writing down what was cut off (answers saved, the meter's last
 * batch): requests in flight get the rest.
 */
const FLUSH_RESERVE_MS = Math.min(2_000, Math.round(GRACE_MS / 4));

/** Next.js's request handler, loaded and prepared once, when first needed. */
function nextLoader(): () => Promise<RequestListener> {
  let loading: Promise<RequestListener> | null = null;
  return () =>
    (loading ??= (async () => {
      // Imported only now, after NODE_ENV is set: Next.js reads it as it loads.
      const { default: next } = await import("next");
      const app = next({ dev, hostname, port, dir: process.cwd() });
      await app.prepare();
      return app.getRequestHandler() as RequestListener;
    })());
}

async function startWorker(runsJobs: boolean): Promise<void> {
  const loadNext = nextLoader();
  // In production Next.js loads with the first request that needs it (a page, an action, any route
  // but the plain ones): a worker that serves only the API or health checks never holds its
  // 250 MB or so. In dev it loads now and serves /api/v1 too, so its route modules hot-reload.
  if (dev) await loadNext();
  else await ensureBuilt();
  const handle: RequestListener = (request, response) =>
    loadNext().then(
      (nextHandle) => nextHandle(request, response),
      (error: unknown) => {
        console.error("keel: Next.js failed to start", error);
        response.writeHead(500).end();
      },
    );
  const api = dev ? () => null : await plainRoutes();
  // Next.js's instrumentation (the banner, tracing) runs when Next.js loads; the plain routes need
  // tracing from the start, so it runs now too (it runs once per process, whoever calls it first).
  if (!dev) await (await import("@/instrumentation")).register();
  // From here every request carries its peer's address, so handlers may believe the header.
  markPeerAddressAuthoritative();
  let stopping = false;
  // Requests being handled: a stopping worker flushes the meter only once all have settled, so
  // the usage of calls that finished, or were cut off, during shutdown is written too.
  const inFlight = new Set<Promise<unknown>>();
  const track = (work: Promise<unknown>) => {
    inFlight.add(work);
    void work.catch(() => {}).finally(() => inFlight.delete(work));
  };
  // With KEEL_IDLE_GC on, a burst's garbage goes back once the worker is idle (lib/server/idle-collection.ts).
  const idleCollection = idleCollectionEnabled() ? collectWhenIdle() : null;
  const server = createServer((request, response) => {
    stampPeerAddress(request);
    if (stopping) response.setHeader("connection", "close");
    return withRequestId(response, () => track(api(request, response) ?? Promise.resolve(handle(request, response))));
  });
  // Every socket, upgraded ones included (the dev server's hot-reload websocket): the server's own
  // closeAllConnections() no longer sees a socket once it is upgraded, and one left open would
  // keep the process waiting forever.
  const sockets = new Set<import("node:net").Socket>();
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  // In development those are Next.js's hot-reload websockets: a stopping server closes them at
  // once, as it ends server-sent event streams (production serves no upgrades).
  const upgraded = new Set<import("node:stream").Duplex>();
  if (dev) server.on("upgrade", (_request, socket) => upgraded.add(socket));
  server.listen(port, hostname, () => {
    process.send?.("ready");
    if (dev) console.log(`keel: Ready on http://${hostname}:${port} (development)`);
  });
  // Without an Inngest server, and without a job process of its own: this worker also runs jobs
  // with the local executor, started once the app is ready (core/job-runtime.ts). Processes
  // share its queue in the database.
  const executor = runsJobs ? (await import("@/inngest/start-local-executor")).startKeelLocalExecutor() : null;
  if (executor && (dev || cluster.worker?.id === 1)) {
    console.log('keel: jobs run on the local executor, in-process (production uses an Inngest server; see README, "Jobs")');
  }

  // Ctrl-C reaches every process of the group; the primary turns it into an orderly SIGTERM. In
  // development there is no primary: Ctrl-C stops this process the same orderly way.
  process.on("SIGINT", () => {
    if (dev) process.emit("SIGTERM");
  });
  // `on`, not `once`: a second SIGTERM (systemd signals the whole group, and the primary forwards
  // one too) must not fall back to the default action and kill the worker before it flushes.
  process.on("SIGTERM", () => {
    if (stopping) return;
    stopping = true;
    idleCollection?.stop();
    const stoppedAt = Date.now();
    const left = () => Math.max(0, GRACE_MS - (Date.now() - stoppedAt));
    // Whatever happens below, the process is gone when the grace period is.
    setTimeout(() => process.exit(0), GRACE_MS).unref();
    // Server-sent event streams and websockets end now: their browsers reconnect elsewhere.
    beginShutdown();
    for (const socket of upgraded) socket.destroy();
    // The executor takes no new work; the step in flight may finish within the grace period, else
    // its run is given back for another worker (or the next start) to take up.
    const executorStopped = executor?.stop(Math.max(0, GRACE_MS - FLUSH_RESERVE_MS));
    // Accept nothing new; let requests in flight finish, closing each connection once idle.
    server.close(() => void finish());
    const idle = setInterval(() => server.closeIdleConnections(), 100);
    // At the cut, stop what is left: chat answers are saved as stopped and billed for what was
    // delivered, and every connection is closed (the gateway bills a cut-off stream the same way).
    let stopped: Promise<void> | null = null;
    const cut = () => {
      stopped ??= stopProcessWork();
      server.closeAllConnections();
      for (const socket of sockets) socket.destroy();
      return stopped;
    };
    let cutDone!: () => void;
    const atCut = new Promise<void>((resolve) => (cutDone = resolve));
    setTimeout(() => void cut().finally(cutDone), Math.max(0, GRACE_MS - FLUSH_RESERVE_MS)).unref();
    async function finish() {
      clearInterval(idle);
      // Every request has ended; answers still being written (their browser left) may finish
      // until the cut. Nothing waits past the grace period.
      const within = (work: Promise<unknown>) => Promise.race([work, new Promise((resolve) => setTimeout(resolve, left()).unref())]);
      await within(Promise.allSettled([...inFlight, executorStopped, Promise.race([processWorkSettled(), atCut])]));
      // Write the meter's last usage records, including those of calls cut off just now (if the
      // database is unreachable, they go to the spill file and the next start writes them).
      await processSingletonIfCreated<{ close(deadlineMs: number): Promise<void> }>("ai:gateway")?.close(Math.max(250, left()));
      process.exit(0);
    }
  });
}

/** `next build` must have run: refuse at start, as `next start` does, rather than at the first page. */
async function ensureBuilt(): Promise<void> {
  if (existsSync(path.join(process.cwd(), ".next", "BUILD_ID"))) return;
  console.error('keel: no production build in .next; run "npm run build" first');
  process.exit(1);
}

if (dev) {
  await startWorker(true);
} else if (cluster.isPrimary) {
  const role = processRole();
  const problems = process.env.NODE_ENV === "production" ? productionConfigProblems(process.env) : [];
  if (problems.length > 0) {
    console.error(`keel: refusing to start in production:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    console.error("keel: set these in the environment or an .env file (.env.production.local is git-ignored).");
    process.exit(1);
  }
  if (role === "jobs") {
    if (jobRuntime().kind !== "local-executor") {
      console.error("keel: KEEL_PROCESS_ROLE=jobs runs the local executor, but an Inngest server is configured: it runs the jobs");
      process.exit(1);
    }
    await startJobWorker({ graceMs: GRACE_MS, flushReserveMs: FLUSH_RESERVE_MS });
  } else {
    await startPrimary(role);
  }
} else {
  const role = processRole();
  if (role === "jobs") await startJobWorker({ graceMs: GRACE_MS, flushReserveMs: FLUSH_RESERVE_MS });
  else await startWorker(role === "all");
}

/** Forks the serving workers (and the job process), replaces any that die, and stops them on a signal. */
async function startPrimary(role: Exclude<ProcessRole, "jobs">): Promise<void> {
  // Checked here too: a worker that exits for want of a build would be replaced without end.
  await ensureBuilt();
  const count = workerCount();
  // About 20 pooled database connections in all (at least 3 per worker), plus one LISTEN per worker.
  process.env.DATABASE_POOL_SIZE ??= String(Math.max(3, Math.ceil(20 / count)));
  const jobProcess = jobsApart(role);
  // The job process makes as many step requests at once as all serving workers would.
  const jobEnv = { KEEL_PROCESS_ROLE: "jobs", KEEL_LOCAL_EXECUTOR_SLOTS: process.env.KEEL_LOCAL_EXECUTOR_SLOTS ?? String(4 * count) };
  const servingEnv = { KEEL_PROCESS_ROLE: jobProcess ? "web" : role };
  const ready = new Set<number>();
  const alive = new Set<number>();
  const roles = new Map<number, "serve" | "jobs">();
  let announced = false;
  let stopping = false;
  const fork = (kind: "serve" | "jobs") => {
    const worker = cluster.fork(kind === "jobs" ? jobEnv : servingEnv);
    alive.add(worker.id);
    roles.set(worker.id, kind);
    worker.on("message", (message: unknown) => {
      if (message !== "ready") return;
      ready.add(worker.id);
      if (ready.size === count && !announced) {
        announced = true;
        const jobs = jobProcess ? " and a job process" : "";
        console.log(`keel: Ready on http://${hostname}:${port} (${count} worker${count === 1 ? "" : "s"}${jobs})`);
      }
    });
  };
  const profileDir = process.env.KEEL_CPU_PROFILE_DIR?.trim();
  // KEEL_IDLE_GC: workers collect a burst's garbage once idle, through --expose-gc (lib/server/idle-collection.ts).
  const execArgv = [...(idleCollectionEnabled() ? ["--expose-gc"] : []), ...(profileDir ? ["--cpu-prof", `--cpu-prof-dir=${profileDir}`] : [])];
  if (execArgv.length > 0) cluster.setupPrimary({ execArgv: [...process.execArgv, ...execArgv] });
  for (let i = 0; i < count; i++) fork("serve");
  if (jobProcess) fork("jobs");

  // A worker that dies is replaced (after a pause, so a crash loop cannot spin). Its in-flight
  // requests fail, and its quota reservations are released by the expiry sweep.
  cluster.on("exit", (worker, code, signal) => {
    const kind = roles.get(worker.id) ?? "serve";
    roles.delete(worker.id);
    ready.delete(worker.id);
    alive.delete(worker.id);
    if (stopping) {
      if (alive.size === 0) process.exit(0);
      return;
    }
    const what = kind === "jobs" ? "job process" : "worker";
    console.error(`keel: ${what} ${worker.process.pid} exited (${signal ?? code}); starting another`);
    setTimeout(() => stopping || fork(kind), 1_000);
  });
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      if (alive.size === 0) process.exit(0); // between a crash and its replacement
      for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill("SIGTERM");
      // Workers stop by themselves within their grace period; this only guards against a stuck one.
      setTimeout(() => process.exit(1), GRACE_MS + 10_000).unref();
    });
  }
}
