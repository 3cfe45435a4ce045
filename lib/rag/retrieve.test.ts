// retrieve() end to end on whichever engine the run uses (PostgreSQL with TEST_DATABASE_URL,
// in-memory PGlite without): documents go through the real analysis pipeline, queries through the
// gateway's offline embedding model. Tenant B never sees tenant A's chunks, even asking for A's
// canary sentence word for word, in either mode; collections filter inside the search; the query's
// embedding is metered; bad input is refused before anything is embedded.
import { eq, sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { rawRows } from "@/db/raw-rows";
import { collections, documentChunks, usageEvents } from "@/db/schema";
import { withSystem, withTenant, withUser } from "@/db/scope";
import { getGateway } from "@/lib/ai";
import { acceptUpload } from "@/lib/documents/upload";
import { isKeelError } from "@/lib/errors";
import { runAnalysis } from "@/test/documents-harness";
import { createTenant } from "@/test/fixtures";
import { retrieve, type RetrievalMode } from "./index";

type Owner = Awaited<ReturnType<typeof createTenant>>;

const CANARY = "The heron ledger for cobalt vault nine opens only with passphrase QX7-MARIGOLD-4419 at the eastern gate.";
const modes: RetrievalMode[] = ["vector", "hybrid"];

let tenantA: Owner;
let tenantB: Owner;
let canaryDocumentId: string;
let manualsCollectionId: string;
const documentsOfB: string[] = [];

async function ingest(owner: Owner, fileName: string, text: string, collectionId: string | null = null): Promise<string> {
  const { document, request } = await acceptUpload(owner, { fileName, bytes: new TextEncoder().encode(text), collectionId });
  const { error } = await runAnalysis(request);
  expect(error).toBeUndefined();
  return document.id;
}

const paragraph = (topic: string, detail: string) =>
  `# ${topic}\n\nThis note covers ${topic} for the operations team. ${detail} The gate log and the vault inventory are reviewed every quarter.`;

beforeAll(async () => {
  tenantA = await createTenant("Canary owner");
  tenantB = await createTenant("Canary neighbour");
  canaryDocumentId = await ingest(tenantA, "vault-access.md", `# Vault access\n\n${CANARY}`);
  await ingest(tenantA, "garden.md", paragraph("Garden upkeep", "Roses are pruned in March and the hedges in September."));
  // Tenant B has plenty of its own material, some of it sharing words with A's canary.
  const topics = [
    ["Fleet maintenance", "Trucks are serviced every ten thousand kilometres."],
    ["Payroll calendar", "Salaries are paid on the last working day of the month."],
    ["Office moves", "Desks are booked through the facilities portal."],
    ["Cobalt pricing", "Supplier quotes for cobalt arrive every Monday."],
    ["Eastern depot", "The eastern depot opens at six and closes at ten."],
    ["Ledger closing", "The ledger is closed on the fifth working day."],
  ] as const;
  for (const [topic, detail] of topics) documentsOfB.push(await ingest(tenantB, `${topic}.md`, paragraph(topic, detail)));

  const [manuals] = await withTenant(tenantA.tenantId, (tx) => tx.insert(collections).values({ tenantId: tenantA.tenantId, name: "Manuals" }).returning());
  manualsCollectionId = manuals!.id;
  await ingest(tenantA, "pump-manual.md", paragraph("Pump manual", "The pump is primed before the cobalt vault cooling loop starts."), manualsCollectionId);
}, 120_000);

describe("canary isolation", () => {
  it.each(modes)("%s mode: tenant A finds its canary passage first (so the query does reach it)", async (mode) => {
    const result = await retrieve(tenantA, CANARY, { k: 3, mode });
    expect(result.mode).toBe(mode);
    expect(result.hits[0]).toMatchObject({ documentId: canaryDocumentId, documentTitle: "vault-access.md", chunkIndex: 0 });
    expect(result.hits[0]!.text).toContain("QX7-MARIGOLD-4419");
  });

  it.each(modes)("%s mode: tenant B asking for A's canary word for word gets k of its own chunks and none of A's", async (mode) => {
    for (const query of [CANARY, "QX7-MARIGOLD-4419", "heron ledger cobalt vault nine passphrase"]) {
      const result = await retrieve(tenantB, query, { k: 5, mode });
      expect(result.hits).toHaveLength(5);
      for (const hit of result.hits) {
        expect(documentsOfB).toContain(hit.documentId);
        expect(hit.text).not.toContain("MARIGOLD");
      }
    }
  });

  it("tenant B cannot name tenant A's collection to reach it", async () => {
    const [collectionOfA] = await withTenant(tenantA.tenantId, (tx) => tx.select().from(collections).where(eq(collections.isDefault, true)));
    const refused = await retrieve(tenantB, CANARY, { collections: [collectionOfA!.id] }).catch((e: unknown) => e);
    expect(isKeelError(refused) && refused.code).toBe("not_found");
  });
});

// Hybrid mode's full-text side runs as keel_system (db/functions/keel_text_matches.sql) so that it can use the GIN
// index; these hold it to the tenant of the transaction, whatever it is asked.
describe("keel_text_matches (hybrid's full-text side)", () => {
  const matches = (terms: string[]) =>
    sql`select id, rank from keel_text_matches(${`{${terms.join(",")}}`}::text[], null::uuid[], 'keel-offline-hash-384', 80, 10)`;
  const chunkIdsOf = async (owner: Owner, documentId: string) =>
    (await withTenant(owner.tenantId, (tx) => tx.select({ id: documentChunks.id }).from(documentChunks).where(eq(documentChunks.documentId, documentId)))).map(
      (c) => c.id,
    );

  it("finds A's canary for A, and nothing of A's for B asking with the canary's own words", async () => {
    const canaryChunks = await chunkIdsOf(tenantA, canaryDocumentId);
    const forA = await withTenant(tenantA.tenantId, (tx) => rawRows<{ id: string }>(tx, matches(["marigold", "qx7", "4419"])));
    expect(forA.map((r) => r.id)).toEqual(canaryChunks);
    const forB = await withTenant(tenantB.tenantId, (tx) => rawRows<{ id: string }>(tx, matches(["marigold", "qx7", "4419", "heron", "cobalt", "ledger"])));
    const chunksOfB = new Set((await Promise.all(documentsOfB.map((d) => chunkIdsOf(tenantB, d)))).flat());
    // B's own chunks that mention cobalt or the ledger, and nothing else.
    expect(forB.length).toBeGreaterThan(0);
    for (const row of forB) expect(chunksOfB.has(row.id)).toBe(true);
  });

  it("refuses to run outside a tenant's scope (the tenant never comes from a parameter)", async () => {
    const refused = await withUser(tenantA.userId, (tx) => rawRows(tx, matches(["marigold"]))).catch((e: unknown) => e);
    expect(String((refused as Error).cause)).toMatch(/no tenant in scope/);
  });

  it("is a definer function owned by keel_system, with its search_path pinned, that only keel_app may call", async () => {
    const [row] = await withSystem("test: read the function's definition", (tx) =>
      rawRows<{ definer: boolean; owner: string; config: string[]; app: boolean; public: boolean }>(
        tx,
        sql`select p.prosecdef as definer, pg_get_userbyid(p.proowner) as owner, p.proconfig as config,
                   has_function_privilege('keel_app', p.oid, 'EXECUTE') as app,
                   exists (select 1 from aclexplode(p.proacl) a where a.grantee = 0) as public
            from pg_proc p where p.proname = 'keel_text_matches'`,
      ),
    );
    expect(row).toEqual({ definer: true, owner: "keel_system", config: ["search_path=public, pg_temp"], app: true, public: false });
  });

  // Migration 0060: with the word alone as the GIN key, a word common in other tenants' chunks was
  // found in all of them before the tenant filter (bench:retrieval, hybrid p95 49-69 ms at 200,000
  // chunks). The planner picks among indexes by cost, so what is held here is the index itself:
  // tenant first, then the words, over active chunks.
  it("has a tenant-first GIN index for the per-word lookups", async () => {
    const [row] = await withSystem("test: read the full-text index", (tx) =>
      rawRows<{ definition: string }>(tx, sql`select indexdef as definition from pg_indexes where indexname = 'document_chunks_search_text_idx'`),
    );
    expect(row?.definition).toMatch(/USING gin \(tenant_id, search_text\) WHERE active$/);
  });
});

describe("collection filter", () => {
  it.each(modes)("%s mode: only the named collections are searched, inside the query", async (mode) => {
    const everywhere = await retrieve(tenantA, "cobalt vault cooling pump", { k: 3, mode });
    expect(new Set(everywhere.hits.map((h) => h.collectionId)).size).toBe(2);

    const manualsOnly = await retrieve(tenantA, "cobalt vault cooling pump", { k: 3, collections: [manualsCollectionId], mode });
    // The collection holds one chunk: fewer than k, and all of them.
    expect(manualsOnly.hits).toHaveLength(1);
    expect(manualsOnly.hits[0]).toMatchObject({ collectionId: manualsCollectionId, documentTitle: "pump-manual.md", page: null });
  });
});

describe("metering and input", () => {
  it("meters the query's embedding as an embedding call of the tenant, under the retrieval feature", async () => {
    const result = await retrieve({ ...tenantA, feature: "chat" }, "garden hedges", { k: 2 });
    expect(result.offline).toBe(true);
    await getGateway().flush();
    const [event] = await withSystem("test: read usage", (tx) => tx.select().from(usageEvents).where(eq(usageEvents.requestId, result.requestId)));
    expect(event).toMatchObject({
      tenantId: tenantA.tenantId,
      userId: tenantA.userId,
      feature: "chat",
      role: "embedding",
      model: result.embeddingModel,
      status: "ok",
    });
    expect(event!.inputTokens).toBeGreaterThan(0);

    const plain = await retrieve(tenantA, "garden hedges", { k: 2 });
    await getGateway().flush();
    const [second] = await withSystem("test: read usage", (tx) => tx.select().from(usageEvents).where(eq(usageEvents.requestId, plain.requestId)));
    expect(second).toMatchObject({ feature: "retrieval", role: "embedding" });
  });

  it.each([
    ["k below 1", "vault", { k: 0 }, "k"],
    ["k above the maximum", "vault", { k: 51 }, "k"],
    ["a fractional k", "vault", { k: 2.5 }, "k"],
    ["a collection id that is not a UUID", "vault", { collections: ["general"] }, "collections"],
    ["an empty collection list", "vault", { collections: [] }, "collections"],
    ["an unknown mode", "vault", { mode: "keyword" }, "mode"],
    ["an unknown option", "vault", { tenantId: "x" }, "options"],
    ["an empty query", "   ", {}, "query"],
  ])("refuses %s", async (_label, query, options, field) => {
    const refused = await retrieve(tenantA, query, options as never).catch((e: unknown) => e);
    expect(isKeelError(refused) && refused.code).toBe("invalid_input");
    expect(isKeelError(refused) && Object.keys(refused.fieldErrors)).toContain(field);
  });
});
