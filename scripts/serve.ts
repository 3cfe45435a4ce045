// `npm start`: the production server for a built app (`next build`).
// - Several worker processes share one port (node:cluster hands each new connection to the next
//   worker): one Node.js process tops out at one core, and the gateway's hot path is CPU-bound in
//   the app process. Workers share nothing but the database, where quotas, caches and metering
//   are already atomic, and cache invalidations travel between them by LISTEN/NOTIFY.
// - /api/v1 (the OpenAI-compatible API) is served straight from its route modules, the very
//   handlers `next dev` runs, on Node's http server: Next.js's request pipeline would add more
//   than the whole gateway costs (see README, "Benchmark"). Everything else goes through Next.js.
//
//   KEEL_WORKERS  number of workers (default: one per core with PostgreSQL; always 1 on embedded
//                 PGlite, whose data directory only one process may open)
//   PORT, HOSTNAME (or -p / -H)   where to listen (default 0.0.0.0:3000)
import cluster from "node:cluster";
import { createServer } from "node:http";
import { availableParallelism } from "node:os";
import nextEnv from "@next/env";
import next from "next";
import { serveWebHandler, type WebHandler } from "@/lib/http/node-adapter";
import { processSingletonIfCreated } from "@/lib/process-singleton";

function option(flags: string[], fallback: string): string {
  const args = process.argv.slice(2);
  const index = args.findIndex((a) => flags.includes(a));
  return index >= 0 && args[index + 1] ? args[index + 1]! : fallback;
}

nextEnv.loadEnvConfig(process.cwd(), false);
const port = Number(option(["-p", "--port"], process.env.PORT ?? "3000"));
const hostname = option(["-H", "--hostname"], process.env.HOSTNAME ?? "0.0.0.0");

function workerCount(): number {
  const requested = Number(process.env.KEEL_WORKERS ?? availableParallelism());
  if (!process.env.DATABASE_URL) {
    if (requested > 1 && process.env.KEEL_WORKERS) console.warn("keel: embedded PGlite serves from one process; set DATABASE_URL for more workers");
    return 1;
  }
  return Number.isInteger(requested) && requested >= 1 ? requested : 1;
}

/** The /api/v1 routes: path → the route module's method handlers. */
async function apiRoutes(): Promise<Map<string, Partial<Record<string, WebHandler>>>> {
  const [chat, embeddings, models] = await Promise.all([
    import("@/app/api/v1/chat/completions/route"),
    import("@/app/api/v1/embeddings/route"),
    import("@/app/api/v1/models/route"),
  ]);
  return new Map<string, Partial<Record<string, WebHandler>>>([
    ["/api/v1/chat/completions", chat],
    ["/api/v1/embeddings", embeddings],
    ["/api/v1/models", models],
  ]);
}

async function startWorker(): Promise<void> {
  const app = next({ dev: false, hostname, port, dir: process.cwd() });
  await app.prepare();
  const handle = app.getRequestHandler();
  const routes = await apiRoutes();
  const server = createServer((request, response) => {
    const path = request.url?.split("?")[0] ?? "/";
    const route = routes.get(path.length > 1 && path.endsWith("/") ? path.slice(0, -1) : path);
    const handler = route?.[request.method ?? "GET"];
    if (handler) void serveWebHandler(handler, request, response);
    else if (route) {
      response.writeHead(405, { allow: Object.keys(route).filter((m) => /^[A-Z]+$/.test(m)).join(", ") });
      response.end();
    } else void handle(request, response);
  });
  server.listen(port, hostname, () => process.send?.("ready"));
  process.on("SIGTERM", () => {
    // Finish the requests in flight, then write the meter's last batch of usage records.
    server.close(() => {
      const gateway = processSingletonIfCreated<{ flush(): Promise<void> }>("ai:gateway");
      void Promise.resolve(gateway?.flush()).finally(() => process.exit(0));
    });
  });
}

if (cluster.isPrimary) {
  const count = workerCount();
  let ready = 0;
  let stopping = false;
  const fork = () =>
    cluster.fork().on("message", (message: unknown) => {
      if (message === "ready" && ++ready === count) console.log(`keel: Ready on http://${hostname}:${port} (${count} worker${count === 1 ? "" : "s"})`);
    });
  for (let i = 0; i < count; i++) fork();

  // A worker that dies is replaced (after a pause, so a crash loop cannot spin). Its in-flight
  // requests fail, and its quota reservations are released by the expiry sweep.
  let alive = count;
  cluster.on("exit", (worker, code, signal) => {
    if (stopping) {
      if (--alive === 0) process.exit(0);
      return;
    }
    console.error(`keel: worker ${worker.process.pid} exited (${signal ?? code}); starting another`);
    setTimeout(fork, 1_000);
    ready--;
  });
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, () => {
      stopping = true;
      for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill("SIGTERM");
      setTimeout(() => process.exit(0), 10_000).unref();
    });
  }
} else {
  await startWorker();
}
