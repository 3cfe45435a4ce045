import { publicRoute } from "@/lib/http/public-route";
import { openAiError } from "@/lib/openai-compat/errors";

// Any other /api/v1 path: an OpenAI-shaped 404, not an HTML page, so clients report it plainly.
async function notFound(request: Request): Promise<Response> {
  const path = new URL(request.url).pathname;
  return openAiError(
    404,
    `Unknown API path ${path}. Keel serves /api/v1/chat/completions, /api/v1/responses, /api/v1/embeddings and /api/v1/models.`,
    "invalid_request_error",
    "unknown_url",
  );
}

const unknownPath = "an unknown /api/v1 path: a 404 that names the paths Keel serves";
export const GET = publicRoute(unknownPath, notFound);
export const POST = publicRoute(unknownPath, notFound);
export const PUT = publicRoute(unknownPath, notFound);
export const PATCH = publicRoute(unknownPath, notFound);
export const DELETE = publicRoute(unknownPath, notFound);
