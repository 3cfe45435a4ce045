// The meter sends keel_record_usage a JSON array of toUsageRow() rows, which the function reads with
// jsonb_populate_recordset(NULL::keel_usage_record, …): a key the type lacks is dropped without a
// word, and an attribute no row carries is always NULL. So the TypeScript row and the database's
// record type (and the function's parameters) are held to each other here, both ways.
import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { rawRows } from "@/db/raw-rows";
import { withSystem } from "@/db/scope";
import { type CallRecord, toUsageRow } from "./records";

type UsageRow = ReturnType<typeof toUsageRow>;

/**
 * The SQL type of each key of the row, as format_type() names it. `satisfies` makes the compiler
 * refuse this list when UsageRow gains or loses a key; the test below compares it with the database.
 */
const usageRowTypes = {
  request_id: "text",
  first: "boolean",
  user_id: "uuid",
  api_key_id: "uuid",
  feature: "text",
  role: "text",
  provider: "text",
  model: "text",
  input_tokens: "integer",
  output_tokens: "integer",
  cost_micro_usd: "bigint",
  saved_micro_usd: "bigint",
  latency_ms: "integer",
  time_to_first_token_ms: "integer",
  cache_status: "cache_status",
  fallback_count: "integer",
  attempts: "integer",
  status: "call_status",
  error_code: "text",
  validation: "validation_outcome",
  price_tier: "text",
  reservation_id: "uuid",
  period_start: "date",
  member_charged: "boolean",
  exact_key: "text",
  exact_ttl_seconds: "integer",
  scope_key: "text",
  embedding: "vector",
  semantic_ttl_seconds: "integer",
  completion: "jsonb",
  context_chunk_ids: "uuid[]",
} satisfies Record<keyof UsageRow, string>;

/** A record with every optional part filled in, so every key of the row carries a value. */
const fullRecord: CallRecord = {
  tenantId: crypto.randomUUID(),
  requestId: "req-usage-row",
  userId: crypto.randomUUID(),
  apiKeyId: crypto.randomUUID(),
  feature: "chat",
  role: "chat",
  provider: "openai",
  model: "gpt-test",
  inputTokens: 10,
  outputTokens: 5,
  costMicroUsd: 42,
  savedMicroUsd: 0,
  latencyMs: 120,
  timeToFirstTokenMs: 30,
  cacheStatus: "miss",
  fallbackCount: 0,
  attempts: 1,
  status: "ok",
  errorCode: "none",
  validation: "pass",
  priceTier: "batch",
  reservation: { id: crypto.randomUUID(), tenantId: "t", periodStart: "2026-12-01", userId: null, tokens: 15, microUsd: 50, memberCharged: true },
  contextChunkIds: [crypto.randomUUID()],
  cacheWrites: {
    exact: { key: "exact-key", ttlSeconds: 60 },
    semantic: { scopeKey: "scope", embedding: [0.6, 0.8], ttlSeconds: 60 },
    completion: { text: "Hello", finishReason: "stop", inputTokens: 10, outputTokens: 5, provider: "openai", model: "gpt-test" },
  },
};

describe("keel_record_usage and the meter's row (lib/ai/meter/records.ts)", () => {
  // Opening (and migrating) the embedded database takes seconds on a busy machine: not in a test's time.
  beforeAll(() => withSystem("test: open the database", async () => {}), 120_000);

  it("agree on every attribute of keel_usage_record, name and type", async () => {
    const attributes = await withSystem("test: the attributes of keel_usage_record", (tx) =>
      rawRows<{ name: string; type: string }>(
        tx,
        sql`select a.attname as name, format_type(a.atttypid, a.atttypmod) as type
          from pg_type t join pg_attribute a on a.attrelid = t.typrelid
          where t.typname = 'keel_usage_record' and t.typnamespace = 'public'::regnamespace and a.attnum > 0 and not a.attisdropped
          order by a.attnum`,
      ),
    );
    expect(Object.fromEntries(attributes.map((a) => [a.name, a.type]))).toEqual(usageRowTypes);
    // The function the row is built for, not only the list above.
    expect(Object.keys(toUsageRow(fullRecord, true)).sort()).toEqual(attributes.map((a) => a.name).sort());
  });

  it("take the row as its only argument beside the tenant, and read back every value the meter sends", async () => {
    const [signature] = await withSystem("test: keel_record_usage's parameters", (tx) =>
      rawRows<{ args: string }>(
        tx,
        sql`select pg_get_function_identity_arguments(p.oid) as args from pg_proc p
          where p.pronamespace = 'public'::regnamespace and p.proname = 'keel_record_usage'`,
      ),
    );
    // lib/ai/meter/index.ts calls it with (tenant uuid, rows jsonb) through callTenantFunction.
    expect(signature).toEqual({ args: "p_tenant uuid, p_records jsonb" });

    const row = toUsageRow(fullRecord, true);
    const [back] = await withSystem("test: a row read as keel_record_usage reads it", (tx) =>
      rawRows<{ record: Record<string, unknown> }>(
        tx,
        sql`select to_jsonb(r) as record from jsonb_populate_recordset(NULL::keel_usage_record, ${JSON.stringify([row])}::jsonb) r`,
      ),
    );
    const lost = Object.entries(row)
      .filter(([key, value]) => value !== null && (back!.record[key] ?? null) === null)
      .map(([key]) => key);
    expect(lost).toEqual([]);
    expect(back!.record).toMatchObject({ request_id: row.request_id, cost_micro_usd: row.cost_micro_usd, context_chunk_ids: row.context_chunk_ids });
  });
});
