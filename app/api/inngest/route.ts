// Inngest's endpoint, served only when an Inngest server runs the jobs. With the local executor
// (no server configured) there is no signing key to tell Inngest from anyone else, so every
// request is refused; the executor calls the same handler in-process instead.
import type { NextRequest } from "next/server";
import { jobRuntime } from "@/inngest/job-runtime";
import { inngestHandler } from "@/inngest/serve-handler";

function refused(): Response {
  return Response.json(
    {
      error:
        "Keel runs its jobs with the local executor, in-process. /api/inngest answers only when an Inngest server is configured (INNGEST_DEV, INNGEST_BASE_URL, or INNGEST_EVENT_KEY and INNGEST_SIGNING_KEY).",
    },
    { status: 403 },
  );
}

const served = (method: "GET" | "POST" | "PUT") => (request: NextRequest) =>
  jobRuntime().kind === "local-executor" ? refused() : inngestHandler[method](request, undefined);

export const GET = served("GET");
export const POST = served("POST");
export const PUT = served("PUT");
