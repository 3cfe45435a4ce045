// Passages' vectors through the SDK's `embedMany` on the gateway's embedding model (routed, held to
// the quota, metered once per call), with the model that made them: chunks record it, so a change
// of model is noticed and re-embedded.
import { embedMany } from "ai";
import { keelEmbeddingModel, readKeelEmbedding } from "@/lib/ai";
import type { CallContext } from "@/lib/ai/types";

export async function embedPassages(ctx: CallContext, texts: string[]): Promise<{ embeddings: number[][]; model: string }> {
  const { embeddings, providerMetadata } = await embedMany({ model: keelEmbeddingModel(ctx), values: texts, maxRetries: 0 });
  return { embeddings, model: readKeelEmbedding(providerMetadata).model };
}
