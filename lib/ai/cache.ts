// Tenant-scoped answer caches in Postgres. Every read and write runs inside the caller's
// withTenant transaction, so row-level security keeps one tenant's answers from another even
// if two tenants send the very same prompt.
import { createHash } from "node:crypto";
import { sql } from "drizzle-orm";
import type { CachedCompletion } from "@/db/schema";
import type { Tx } from "@/db/client";
import { rawRows } from "@/db/raw-rows";
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

/** Everything but the question itself: a semantic hit must share all of it. */
export function semanticScopeKey(input: Omit<CacheKeyInput, "messages"> & { system: string }): string {
  return exactCacheKey({ ...input, messages: [{ role: "system", text: input.system }] });
}

export async function readExactCache(tx: Tx, tenantId: string, key: string): Promise<CachedCompletion | null> {
  const rows = await rawRows<{ completion: CachedCompletion | string }>(
    tx,
    sql`select completion from ai_exact_cache where tenant_id = ${tenantId} and key = ${key} and expires_at > now()`,
  );
  const value = rows[0]?.completion;
  if (value === undefined) return null;
  return typeof value === "string" ? (JSON.parse(value) as CachedCompletion) : value;
}

export async function writeExactCache(tx: Tx, tenantId: string, key: string, completion: CachedCompletion, ttlSeconds: number): Promise<void> {
  await tx.execute(sql`
    insert into ai_exact_cache (tenant_id, key, completion, expires_at)
    values (${tenantId}, ${key}, ${JSON.stringify(completion)}::jsonb, now() + make_interval(secs => ${ttlSeconds}))
    on conflict (tenant_id, key) do update set completion = excluded.completion, created_at = now(), expires_at = excluded.expires_at`);
}

const vectorLiteral = (embedding: readonly number[]) => `[${embedding.join(",")}]`;

export async function readSemanticCache(
  tx: Tx,
  input: { tenantId: string; scopeKey: string; embedding: readonly number[]; threshold: number },
): Promise<{ completion: CachedCompletion; similarity: number } | null> {
  // A tenant filter on an HNSW scan can otherwise return fewer rows than asked for (pgvector 0.8).
  await tx.execute(sql`set local hnsw.iterative_scan = relaxed_order`);
  const rows = await rawRows<{ completion: CachedCompletion | string; similarity: number | string }>(
    tx,
    sql`select completion, 1 - (embedding <=> ${vectorLiteral(input.embedding)}::vector) as similarity
        from ai_semantic_cache
        where tenant_id = ${input.tenantId} and scope_key = ${input.scopeKey} and expires_at > now()
        order by embedding <=> ${vectorLiteral(input.embedding)}::vector
        limit 1`,
  );
  const row = rows[0];
  if (!row || Number(row.similarity) < input.threshold) return null;
  const completion = typeof row.completion === "string" ? (JSON.parse(row.completion) as CachedCompletion) : row.completion;
  return { completion, similarity: Number(row.similarity) };
}

export async function writeSemanticCache(
  tx: Tx,
  input: { tenantId: string; scopeKey: string; embedding: readonly number[]; completion: CachedCompletion; ttlSeconds: number },
): Promise<void> {
  await tx.execute(sql`
    insert into ai_semantic_cache (tenant_id, scope_key, embedding, completion, expires_at)
    values (${input.tenantId}, ${input.scopeKey}, ${vectorLiteral(input.embedding)}::vector, ${JSON.stringify(input.completion)}::jsonb,
            now() + make_interval(secs => ${input.ttlSeconds}))`);
}
