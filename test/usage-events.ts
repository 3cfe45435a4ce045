// Usage events for the usage, billing and rollup tests: varied, deterministic, inserted the way
// any writer inserts them (one statement per batch, under the tenant's scope), plus an
// independent aggregation in TypeScript to check the database's rollups and reports against.
import { eq } from "drizzle-orm";
import { cacheStatuses, LATENCY_BUCKET_BOUNDS_MS, usageEvents, type NewUsageEvent, type UsageEvent } from "@/db/schema";
import { withTenant } from "@/db/scope";
import { emptyFigures, type UsageFigures } from "@/lib/usage/figures";

/** A small deterministic PRNG (mulberry32), so a failing case can be replayed. */
function randomSource(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (min: number, max: number) => min + Math.floor(next() * (max - min + 1));
  const pick = <T>(items: readonly T[]): T => items[int(0, items.length - 1)]!;
  return { next, int, pick };
}

export interface EventActors {
  userIds: (string | null)[];
  apiKeyIds: (string | null)[];
}

const models = [
  ["openai", "gpt-4o-mini"],
  ["openai", "gpt-4o"],
  ["google", "gemini-2.0-flash"],
  ["offline", "keel-offline-extractive"],
  ["cache", "gpt-4o-mini"],
] as const;
const features = ["chat", "analysis", "embedding", "api", "title"] as const;

/** `count` events spread over [from, to), every field varied. */
export function makeEvents(tenantId: string, count: number, from: string, to: string, actors: EventActors, seed = 1): NewUsageEvent[] {
  const random = randomSource(seed);
  const start = Date.parse(from);
  const span = Date.parse(to) - start;
  return Array.from({ length: count }, (_, i) => {
    const [provider, model] = random.pick(models);
    const cacheStatus =
      provider === "cache" ? random.pick(["exact", "semantic"] as const) : random.pick(cacheStatuses.filter((s) => s === "miss" || s === "bypass"));
    const status = random.pick(["ok", "ok", "ok", "ok", "partial", "error"] as const);
    const hit = provider === "cache";
    return {
      tenantId,
      requestId: `${seed}-${i}-${random.int(0, 1e9)}`,
      userId: random.pick(actors.userIds),
      apiKeyId: random.pick(actors.apiKeyIds),
      feature: random.pick(features),
      role: "chat",
      provider,
      model,
      inputTokens: hit ? 0 : random.int(0, 5_000),
      outputTokens: hit ? 0 : random.int(0, 2_000),
      // Odd micro amounts, half-cent cases included: rounding must hold to the cent.
      costMicroUsd: hit ? 0 : random.pick([0, 4_999, 5_000, 5_001, random.int(1, 250_000)]),
      savedMicroUsd: hit ? random.int(1, 90_000) : 0,
      latencyMs: random.pick([0, 99, 100, 249, 250, 999, 1_000, 9_999, 10_000, 59_999, 60_000, random.int(0, 120_000)]),
      timeToFirstTokenMs: random.next() < 0.3 ? null : random.int(0, 3_000),
      cacheStatus,
      fallbackCount: random.pick([0, 0, 0, 1, 2]),
      attempts: random.int(1, 3),
      status,
      errorCode: status === "error" ? "providers_unavailable" : null,
      validation: random.pick([null, null, "pass", "repaired", "failed"] as const),
      createdAt: new Date(start + Math.floor(random.next() * span)),
    };
  });
}

/** One INSERT statement per batch, as the meter writes them. */
export async function insertEvents(tenantId: string, events: NewUsageEvent[], batchSize = 250): Promise<void> {
  for (let i = 0; i < events.length; i += batchSize) {
    await withTenant(tenantId, (tx) => tx.insert(usageEvents).values(events.slice(i, i + batchSize)));
  }
}

export function readEvents(tenantId: string): Promise<UsageEvent[]> {
  return withTenant(tenantId, (tx) => tx.select().from(usageEvents).where(eq(usageEvents.tenantId, tenantId)));
}

export const dayOf = (event: Pick<UsageEvent, "createdAt">) => event.createdAt.toISOString().slice(0, 10);
export const ownPeriodOf = (event: Pick<UsageEvent, "createdAt">) => `${event.createdAt.toISOString().slice(0, 7)}-01`;

/** Which latency bucket an event falls in: bucket i holds latencies below bound i (and at or above bound i-1). */
export function latencyBucket(latencyMs: number): number {
  const index = LATENCY_BUCKET_BOUNDS_MS.findIndex((bound) => latencyMs < bound);
  return index === -1 ? LATENCY_BUCKET_BOUNDS_MS.length : index;
}

export type Totals = UsageFigures;

export function totalsOf(events: UsageEvent[]): Totals {
  const t = emptyFigures();
  for (const e of events) {
    t.requests++;
    if (e.status === "error") t.errors++;
    t.inputTokens += e.inputTokens;
    t.outputTokens += e.outputTokens;
    t.costMicroUsd += e.costMicroUsd;
    t.savedMicroUsd += e.savedMicroUsd;
    if (e.cacheStatus === "exact" || e.cacheStatus === "semantic") t.cacheHits++;
  }
  return t;
}

/** Events grouped by a key, each group's totals. */
export function totalsBy(events: UsageEvent[], keyOf: (e: UsageEvent) => string): Map<string, Totals> {
  const groups = new Map<string, UsageEvent[]>();
  for (const e of events) groups.set(keyOf(e), [...(groups.get(keyOf(e)) ?? []), e]);
  return new Map([...groups].map(([key, group]) => [key, totalsOf(group)]));
}

export const pickTotals = (f: Totals): Totals => ({
  requests: f.requests,
  errors: f.errors,
  inputTokens: f.inputTokens,
  outputTokens: f.outputTokens,
  costMicroUsd: f.costMicroUsd,
  savedMicroUsd: f.savedMicroUsd,
  cacheHits: f.cacheHits,
});
