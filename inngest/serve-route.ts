// /api/inngest as a route: Inngest's serve() handler behind the refusals of job-runtime.ts, so it
// answers only an Inngest server (whose requests the SDK verifies by signature), or the Dev Server
// outside production. The route module (app/api/inngest/route.ts) mounts Keel's handler here.
import type { NextRequest } from "next/server";
import { inngestEndpointRefusal } from "@/core/job-runtime";

type ServeMethod = (request: NextRequest, context: undefined) => Promise<Response>;
export type InngestServeHandler = Record<"GET" | "POST" | "PUT", ServeMethod>;

export function inngestRoute(handler: InngestServeHandler, env: () => Record<string, string | undefined> = () => process.env) {
  const served = (method: "GET" | "POST" | "PUT") => (request: NextRequest) => {
    const refusal = inngestEndpointRefusal(env());
    return refusal ? Promise.resolve(Response.json({ error: refusal }, { status: 403 })) : handler[method](request, undefined);
  };
  return { GET: served("GET"), POST: served("POST"), PUT: served("PUT") };
}
