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

export const GET = notFound;
export const POST = notFound;
export const PUT = notFound;
export const PATCH = notFound;
export const DELETE = notFound;
