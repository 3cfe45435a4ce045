// POST /api/v1/embeddings: OpenAI's Embeddings over the gateway (float or base64 vectors).
import { embedMany } from "ai";
import { getGateway, keelEmbeddingModel, readKeelEmbedding } from "@/lib/ai";
import type { CallAdmission } from "@/lib/ai/types";
import type { ApiKeyPrincipal } from "@/lib/auth/api-keys";
import { errorToResponse, openAiError } from "./errors";
import { roleForModel } from "./models";
import { embeddingRequestSchema } from "./schemas";
import { parseJsonRequest } from "./with-api-key";

/** The official client asks for base64 by default: little-endian float32, base64-encoded. */
function toBase64(vector: number[]): string {
  return Buffer.from(new Float32Array(vector).buffer).toString("base64");
}

export async function handleEmbeddings(request: Request, principal: ApiKeyPrincipal, gate?: CallAdmission): Promise<Response> {
  const parsed = await parseJsonRequest(request, embeddingRequestSchema);
  if (!parsed.ok) return parsed.response;
  const input = parsed.value;
  if (roleForModel(input.model) !== "embedding") {
    return openAiError(404, `The model '${input.model}' does not exist. Use keel-embedding.`, "invalid_request_error", "model_not_found", "model");
  }
  const gateway = getGateway();
  const dimensions = gateway.config.embeddingDimensions;
  if (input.dimensions && input.dimensions !== dimensions) {
    return openAiError(
      400,
      `This deployment stores ${dimensions}-dimensional embeddings; 'dimensions' must be ${dimensions} or omitted.`,
      "invalid_request_error",
      "invalid_request",
      "dimensions",
    );
  }
  const values = typeof input.input === "string" ? [input.input] : input.input;
  try {
    const { embeddings, usage, providerMetadata } = await embedMany({
      model: keelEmbeddingModel(
        { tenantId: principal.tenantId, apiKeyId: principal.apiKeyId, feature: "api", signal: request.signal, admission: gate },
        gateway,
      ),
      values,
      maxRetries: 0, // the gateway retries itself
    });
    const keel = readKeelEmbedding(providerMetadata);
    const base64 = input.encoding_format === "base64";
    return Response.json(
      {
        object: "list",
        data: embeddings.map((embedding, index) => ({ object: "embedding", index, embedding: base64 ? toBase64(embedding) : embedding })),
        model: keel.model,
        usage: { prompt_tokens: usage.tokens, total_tokens: usage.tokens },
      },
      { headers: { "x-keel-call-id": keel.requestId, "x-keel-provider": keel.provider, "x-keel-offline": String(keel.offline) } },
    );
  } catch (error) {
    return errorToResponse(error);
  }
}
