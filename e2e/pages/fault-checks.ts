// What the fault specs check in the database after a crash or an outage, read as PostgreSQL's
// admin (no row-level security: every row of the server's database counts), and what the scripted
// provider was asked. A document ends whole: its live passages one per index, each with its vector
// on one model; every provider call that came back is one usage event, none twice.
import { expect } from "@playwright/test";
import postgres from "postgres";
import type { FakeLlmServer } from "../../test/fakes/fake-llm-server";

export type Sql = postgres.Sql;

export function connect(databaseUrl: string): Sql {
  return postgres(databaseUrl, { max: 2, onnotice: () => {} });
}

interface DocumentOutcome {
  status: string;
  version: number;
  /** Passages retrieval reads (active), and how many distinct indexes they hold. */
  activePassages: number;
  distinctIndexes: number;
  /** Active passages with a vector. */
  embedded: number;
  /** Models their vectors came from: one when the document is whole. */
  embeddingModels: number;
  /** Passages of other versions still active (none when the analysis completed once). */
  staleActive: number;
}

export async function documentOutcome(sql: Sql, documentId: string): Promise<DocumentOutcome | null> {
  const [row] = await sql<
    { status: string; version: number; active: string; indexes: string; embedded: string; models: string; stale: string }[]
  >`select d.status, d.version,
           count(c.id) filter (where c.active and c.version = d.version) as active,
           count(distinct c.chunk_index) filter (where c.active and c.version = d.version) as indexes,
           count(c.id) filter (where c.active and c.version = d.version and c.embedding is not null) as embedded,
           count(distinct c.embedding_model) filter (where c.active and c.version = d.version) as models,
           count(c.id) filter (where c.active and c.version <> d.version) as stale
      from documents d left join document_chunks c on c.document_id = d.id
     where d.id = ${documentId}::uuid
     group by d.id`;
  if (!row) return null;
  return {
    status: row.status,
    version: row.version,
    activePassages: Number(row.active),
    distinctIndexes: Number(row.indexes),
    embedded: Number(row.embedded),
    embeddingModels: Number(row.models),
    staleActive: Number(row.stale),
  };
}

/** A document whole after a crash: its live passages one per index, each with a vector on one model, no other version left active. */
export async function expectDocumentWhole(sql: Sql, documentId: string): Promise<void> {
  const outcome = await documentOutcome(sql, documentId);
  expect(outcome?.activePassages).toBeGreaterThan(0);
  expect(outcome?.distinctIndexes).toBe(outcome?.activePassages);
  expect(outcome?.embedded).toBe(outcome?.activePassages);
  expect(outcome?.embeddingModels).toBe(1);
  expect(outcome?.staleActive).toBe(0);
}

/** Usage events of a workspace by feature, and how many request ids were written more than once. */
export async function usageByFeature(sql: Sql, tenantId: string): Promise<{ byFeature: Record<string, number>; duplicateRequestIds: number }> {
  const rows = await sql<{ feature: string; events: string }[]>`
    select feature, count(*) as events from usage_events where tenant_id = ${tenantId}::uuid group by feature`;
  const [dup] = await sql<{ n: string }[]>`
    select count(*) as n from (select request_id from usage_events where tenant_id = ${tenantId}::uuid group by request_id having count(*) > 1) d`;
  return { byFeature: Object.fromEntries(rows.map((r) => [r.feature, Number(r.events)])), duplicateRequestIds: Number(dup?.n ?? 0) };
}

/** The workspace of the person with this email. */
export async function tenantOf(sql: Sql, email: string): Promise<string> {
  const [row] = await sql<{ tenant_id: string }[]>`
    select m.tenant_id from memberships m join users u on u.id = m.user_id where u.email = ${email} limit 1`;
  if (!row) throw new Error(`no workspace for ${email}`);
  return row.tenant_id;
}

/** Requests the scripted provider received on a route (`/chat/completions`, `/embeddings`). */
export function providerRequests(fake: FakeLlmServer, route: string) {
  return fake.requests.filter((r) => r.method === "POST" && r.path.endsWith(route));
}

/** A structured analysis the document pipeline accepts (summary, key points, entities). */
export const analysisJson = JSON.stringify({
  summary: "How the Orkney tidal turbines are maintained.",
  keyPoints: ["Divers inspect the blades every spring."],
  entities: [],
});
