// The production server's router for /api/v1: the route modules' own handlers (the very ones
// `next dev` serves), run on Node's http server without Next.js's request pipeline.
import type { IncomingMessage, ServerResponse } from "node:http";
import { serveWebHandler, type WebHandler } from "@/lib/http/node-adapter";
import { errorToResponse } from "@/lib/openai-compat/errors";

type RouteModule = Partial<Record<string, WebHandler>>;

/** Answers /api/v1 requests, or returns null for everything else (Next.js serves that). */
export async function apiV1Router(): Promise<(request: IncomingMessage, response: ServerResponse) => Promise<void> | null> {
  const [chat, embeddings, models, unknown, responses] = await Promise.all([
    import("@/app/api/v1/chat/completions/route"),
    import("@/app/api/v1/embeddings/route"),
    import("@/app/api/v1/models/route"),
    import("@/app/api/v1/[...path]/route"),
    import("@/app/api/v1/responses/route"),
  ]);
  const routes = new Map<string, RouteModule>([
    ["/api/v1/chat/completions", chat],
    ["/api/v1/embeddings", embeddings],
    ["/api/v1/models", models],
    ["/api/v1/responses", responses],
  ]);
  const options = { onError: errorToResponse };
  return (request, response) => {
    const raw = request.url?.split("?")[0] ?? "/";
    const path = raw.length > 1 && raw.endsWith("/") ? raw.slice(0, -1) : raw;
    if (path !== "/api/v1" && !path.startsWith("/api/v1/")) return null;
    const route = routes.get(path);
    const method = request.method ?? "GET";
    if (!route) return serveWebHandler(unknown.GET, request, response, options);
    const handler = route[method === "HEAD" ? "GET" : method];
    if (handler) return serveWebHandler(handler, request, response, options);
    const allowed = Object.keys(route).filter((m) => /^[A-Z]+$/.test(m));
    const allow = [...allowed, ...(allowed.includes("GET") ? ["HEAD"] : []), "OPTIONS"].join(", ");
    response.writeHead(method === "OPTIONS" ? 204 : 405, { allow });
    response.end();
    return Promise.resolve();
  };
}

/**
 * What the production server answers without Next.js: /api/v1, and the health checks a load
 * balancer polls (which must not load Next.js into an API-only worker). Null for everything else.
 */
export async function plainRoutes(): Promise<(request: IncomingMessage, response: ServerResponse) => Promise<void> | null> {
  const [api, health, ready] = await Promise.all([apiV1Router(), import("@/app/api/health/route"), import("@/app/api/ready/route")]);
  const probes = new Map<string, WebHandler>([
    ["/api/health", async () => health.GET()],
    ["/api/ready", ready.GET],
  ]);
  return (request, response) => {
    const probe = probes.get(request.url?.split("?")[0] ?? "/");
    if (!probe) return api(request, response);
    const method = request.method ?? "GET";
    if (method === "GET" || method === "HEAD") return serveWebHandler(probe, request, response);
    response.writeHead(method === "OPTIONS" ? 204 : 405, { allow: "GET, HEAD, OPTIONS" });
    response.end();
    return Promise.resolve();
  };
}
