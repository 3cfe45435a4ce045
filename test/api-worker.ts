// One app process serving /api/v1 as a production worker does (the same router as scripts/serve.ts),
// on a port of its own, for tests that need several processes on one database. Prints its port.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { closeDatabase } from "@/db/client";
import { apiV1Router } from "@/scripts/api-router";

if (!process.env.DATABASE_URL) throw new Error("api-worker needs DATABASE_URL (processes share a database only on PostgreSQL)");
const route = await apiV1Router();
const server = http.createServer((request, response) => {
  if (route(request, response) === null) response.writeHead(404).end();
});
await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
console.log(JSON.stringify({ port: (server.address() as AddressInfo).port }));
process.on("SIGTERM", () => {
  server.closeAllConnections();
  server.close(() => void closeDatabase().then(() => process.exit(0)));
});
