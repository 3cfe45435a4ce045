// Keys of the tenant-scoped answer caches in Postgres. Reads happen in keel_admit and writes in
// keel_record_usage (db/functions), both under the tenant's row-level security, so one tenant's
// answers never reach another even if two tenants send the very same prompt.
import { createHash } from "node:crypto";
import type { TextMessage } from "./prompt-text";
import type { ModelTarget } from "./types";

/** Bump when the key's recipe changes, so stale entries simply stop matching. */
const KEY_FORMAT = "v1";

const normalise = (text: string) => text.replace(/\s+/g, " ").trim();

export interface CacheKeyInput {
  role: string;
  target: ModelTarget;
  promptVersion: string;
  messages: readonly TextMessage[];
  /** Parameters that change the answer. */
  params: Record<string, unknown>;
  contextChunkIds: readonly string[] | undefined;
}

export function exactCacheKey(input: CacheKeyInput): string {
  const material = JSON.stringify([
    KEY_FORMAT,
    input.role,
    `${input.target.provider}:${input.target.model}`,
    input.promptVersion,
    input.messages.map((m) => [m.role, normalise(m.text)]),
    input.params,
    [...(input.contextChunkIds ?? [])].sort(),
  ]);
  return createHash("sha256").update(material).digest("hex");
}

/**
 * Everything but the question itself: a semantic hit must share all of it, including the model that
 * embedded the question (vectors of two embedding models share no space, so after a model change
 * the old entries must not match).
 */
export function semanticScopeKey(input: Omit<CacheKeyInput, "messages"> & { system: string; embeddingModel: string }): string {
  return exactCacheKey({ ...input, messages: [{ role: "system", text: input.system }], params: { ...input.params, embeddingModel: input.embeddingModel } });
}

export const vectorLiteral = (embedding: readonly number[]) => `[${embedding.join(",")}]`;
