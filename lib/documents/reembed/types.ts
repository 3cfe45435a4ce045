// The vocabulary of re-embedding: what a run covers (one document, a collection, a whole tenant),
// the model it embeds with, and the plan a run carries from step to step (memoised as JSON).
import { createHash } from "node:crypto";
import { z } from "zod";
import type { ProviderName } from "@/lib/ai/types";
import type { ReembedSettings } from "./settings";

export const reembedScopeSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("tenant") }),
  z.object({ kind: z.literal("collection"), collectionId: z.uuid() }),
  z.object({ kind: z.literal("document"), documentId: z.uuid() }),
]);
export type ReembedScope = z.infer<typeof reembedScopeSchema>;

/** The model every active chunk should be embedded with, as the gateway routes it for the tenant now. */
export interface EmbeddingTarget {
  provider: ProviderName;
  model: string;
  dimensions: number;
}

/** What starts a run: the event's data. */
export interface ReembedInput {
  tenantId: string;
  scope: ReembedScope;
  /** The job row made when someone asked (the UI); absent for scheduled runs, which make their own. */
  jobId: string | null;
  /** Names the run's own rows (job, provider batches) so a replay finds them: the event id. */
  origin: string;
  /** "online" never uses a provider batch API. */
  mode: "auto" | "online";
}

export interface ReembedRun {
  tenantId: string;
  scope: ReembedScope;
  jobId: string;
  target: EmbeddingTarget;
  mode: "online" | "batch";
  /** Stale chunks (and their tokens, documents) in scope when the run was planned. */
  totalChunks: number;
  totalTokens: number;
  documents: number;
  settings: ReembedSettings;
}

/** A stable UUID for a name (RFC 9562 version 5 layout over sha256): the same name, the same row. */
export function uuidFromName(name: string): string {
  const bytes = createHash("sha256").update(name).digest().subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x50;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
