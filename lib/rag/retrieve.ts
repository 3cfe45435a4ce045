// The one retrieval path (chat, the API and anything else that grounds answers use it): the query
// is embedded through the gateway (routed, held to quota, metered as an embedding call), then
// searched within the tenant's scope under row-level security.
import type { Db } from "@/db/client";
import { withTenant } from "@/db/scope";
import { embed } from "ai";
import { getGateway, keelEmbeddingModel, readKeelEmbedding, type Gateway } from "@/lib/ai";
import { KeelError } from "@/lib/errors";
import { retrievalConfigFromEnv, type RetrievalConfig, type RetrievalMode } from "./config";
import { retrievalQuerySchema, retrieveOptionsSchema, type RetrieveOptions } from "./options";
import { searchChunks, type RetrievalHit, type SearchStrategy } from "./search-chunks";

export type { RetrieveOptions } from "./options";

/** Who is asking: a signed-in member (TenantContext fits) or an API key. */
export interface RetrievalContext {
  tenantId: string;
  userId?: string | null;
  apiKeyId?: string | null;
  /** What the embedding call is metered under; "retrieval" unless the caller says otherwise. */
  feature?: string;
  signal?: AbortSignal;
}

export interface RetrievalResult {
  hits: RetrievalHit[];
  mode: RetrievalMode;
  strategy: SearchStrategy;
  /** The model the query (and so every hit) was embedded with. */
  embeddingModel: string;
  offline: boolean;
  /** The embedding call's request id: the key of its usage event. */
  requestId: string;
}

export interface RetrievalDeps {
  gateway?: Gateway;
  db?: Db;
  config?: RetrievalConfig;
}

/** The first message per option, for forms and API errors. */
function optionErrors(issues: readonly { path: readonly PropertyKey[]; message: string }[]): Record<string, string> {
  const errors: Record<string, string> = {};
  for (const issue of issues) errors[String(issue.path[0] ?? "options")] ??= issue.message;
  return errors;
}

export async function retrieve(ctx: RetrievalContext, query: string, options: RetrieveOptions = {}, deps: RetrievalDeps = {}): Promise<RetrievalResult> {
  const text = retrievalQuerySchema.safeParse(query);
  if (!text.success) throw new KeelError("invalid_input", text.error.issues[0]!.message, { query: text.error.issues[0]!.message });
  const parsed = retrieveOptionsSchema.safeParse(options);
  if (!parsed.success) throw new KeelError("invalid_input", "Those retrieval options are not valid.", optionErrors(parsed.error.issues));
  const config = deps.config ?? retrievalConfigFromEnv();
  const mode = parsed.data.mode ?? config.defaultMode;

  const { embedding, providerMetadata } = await embed({
    model: keelEmbeddingModel(
      { tenantId: ctx.tenantId, userId: ctx.userId ?? null, apiKeyId: ctx.apiKeyId ?? null, feature: ctx.feature ?? "retrieval", signal: ctx.signal },
      deps.gateway ?? getGateway(),
    ),
    value: text.data,
    maxRetries: 0, // the gateway retries itself
  });
  const embedded = readKeelEmbedding(providerMetadata);
  const outcome = await withTenant(
    ctx.tenantId,
    (tx) =>
      searchChunks(
        tx,
        {
          tenantId: ctx.tenantId,
          collectionIds: parsed.data.collections ?? null,
          embeddingModel: embedded.model,
          vector: embedding,
          text: text.data,
          k: parsed.data.k,
          mode,
        },
        config,
      ),
    { userId: ctx.userId ?? undefined, db: deps.db },
  );
  return { ...outcome, mode, embeddingModel: embedded.model, offline: embedded.offline, requestId: embedded.requestId };
}
