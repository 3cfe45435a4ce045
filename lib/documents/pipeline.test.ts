// The document pipeline end to end through the real analyze-document function (steps run for real
// against PostgreSQL, the blob store and the offline models): extract → chunk → embed → analyse →
// ready; idempotent steps; map-reduce for long documents; re-analysis, cancellation and deletion;
// and another tenant sees none of it.
import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { aiExactCache } from "@/db/schema";
import { withSystem, withTenant } from "@/db/scope";
import { getGateway } from "@/lib/ai";
import { getBlobStore } from "@/lib/storage";
import { createTenant } from "@/test/fixtures";
import { makeDocx, makePdf } from "@/test/document-fixtures";
import { documentState, notificationsOf, runAnalysis, usageOf } from "@/test/documents-harness";
import { cancelAnalysis, deleteDocument, getDocumentDetail, listDocumentChunks, listDocuments, requestReanalysis } from "./documents";
import { acceptUpload } from "./upload";
import { embedBatch, extractAndChunk } from "./pipeline";

type Owner = Awaited<ReturnType<typeof createTenant>>;
let owner: Owner;
let stranger: Owner;

const sentence = (topic: string, i: number) =>
  `Section ${i} explains how the ${topic} fleet reports vibration, temperature and output to the operations centre every few seconds.`;
const pages = (count: number, topic = "turbine") =>
  Array.from({ length: count }, (_, p) => ({
    heading: p % 3 === 0 ? `Part ${p / 3 + 1}: ${topic} operations` : undefined,
    paragraphs: Array.from({ length: 6 }, (_, i) => sentence(topic, p * 6 + i)),
  }));

beforeAll(async () => {
  owner = await createTenant("Docs owner");
  stranger = await createTenant("Docs stranger");
});
afterAll(async () => {
  await getGateway().flush();
});

describe("analysing a document", () => {
  it("takes a multi-page PDF to ready: chunks with pages and headings, embeddings, analysis, history, notification", async () => {
    const bytes = await makePdf(pages(4));
    const { document, request } = await acceptUpload(owner, { fileName: "fleet-report.pdf", bytes, collectionId: null });
    expect(document).toMatchObject({ kind: "pdf", status: "queued", name: "fleet-report.pdf" });
    const { error } = await runAnalysis(request);
    expect(error).toBeUndefined();
    const state = await documentState(document.id);
    expect(state.document).toMatchObject({ status: "ready", activeVersion: 1, pageCount: 4, language: "en" });
    expect(state.chunks.length).toBeGreaterThan(0);
    expect(state.chunks.every((c) => c.active && c.embeddingModel === "keel-offline-hash-384" && c.pageStart !== null)).toBe(true);
    expect(state.chunks[0]!.heading).toBe("Part 1: turbine operations");
    expect(state.document!.analysis).toMatchObject({ language: "en" });
    expect(state.document!.analysis!.summary.length).toBeGreaterThan(0);
    expect(state.jobs[0]).toMatchObject({ status: "succeeded", stage: "ready" });
    expect(state.history.map((h) => h.stage)).toEqual(expect.arrayContaining(["queued", "extracting", "chunking", "embedding", "analysing", "ready"]));
    expect((await notificationsOf(owner.userId)).some((n) => n.kind === "document.ready" && n.link === `/documents/${document.id}`)).toBe(true);
    await getGateway().flush();
    const usage = await usageOf(owner.tenantId);
    expect(usage.some((u) => u.feature === "document-embedding" && u.status === "ok")).toBe(true);
    expect(usage.some((u) => u.feature === "document-analysis" && u.validation !== null)).toBe(true);
  });

  it("reads a DOCX with its headings", async () => {
    const bytes = makeDocx([
      { heading: "Overview" },
      { paragraph: "Keel keeps each team's documents apart." },
      { heading: "Pricing" },
      { paragraph: "Plans are billed monthly." },
    ]);
    const { document, request } = await acceptUpload(owner, { fileName: "handbook.docx", bytes, collectionId: null });
    await runAnalysis(request);
    const { document: stored, chunks } = await documentState(document.id);
    expect(stored).toMatchObject({ kind: "docx", status: "ready" });
    expect(chunks.map((c) => c.content).join("\n")).toContain("Plans are billed monthly.");
    expect(chunks[0]!.heading).toBe("Overview");
  });

  it("summarises a long document map-reduce, over sections", async () => {
    const { document, request } = await acceptUpload(owner, { fileName: "long.pdf", bytes: await makePdf(pages(60, "pipeline")), collectionId: null });
    const { result } = await runAnalysis(request);
    expect(result).toMatchObject({ sections: expect.any(Number) });
    expect((result as { sections: number }).sections).toBeGreaterThan(1);
    expect((await documentState(document.id)).document).toMatchObject({ status: "ready" });
  });

  it("writes nothing twice when a step runs again", async () => {
    const { document, request } = await acceptUpload(owner, {
      fileName: "twice.md",
      bytes: new TextEncoder().encode("# Title\n\nSome text about wind.\n\n- a\n- b\n"),
      collectionId: null,
    });
    const first = await extractAndChunk(request);
    const again = await extractAndChunk(request);
    expect(again.chunkCount).toBe(first.chunkCount);
    expect(await embedBatch(request, first.batches[0]!, { index: 0, count: 1, chunkCount: first.chunkCount })).toBe(first.chunkCount);
    // Replayed: the chunks already have embeddings, so nothing is embedded (or billed) again.
    expect(await embedBatch(request, first.batches[0]!, { index: 0, count: 1, chunkCount: first.chunkCount })).toBe(0);
    expect((await documentState(document.id)).chunks).toHaveLength(first.chunkCount);
  });
});

describe("re-analysis, cancellation, deletion", () => {
  it("re-analyses into a new version and switches over at once, removing the old one", async () => {
    const { document, request } = await acceptUpload(owner, {
      fileName: "v.md",
      bytes: new TextEncoder().encode("# V\n\nVersion one text."),
      collectionId: null,
    });
    await runAnalysis(request);
    const again = await requestReanalysis(owner, document.id);
    expect(again.version).toBe(2);
    // Until the new version is complete, the old one stays the searchable one.
    await extractAndChunk(again);
    const during = await documentState(document.id);
    expect(during.chunks.filter((c) => c.active).every((c) => c.version === 1)).toBe(true);
    await runAnalysis(again);
    const after = await documentState(document.id);
    expect(after.document).toMatchObject({ status: "ready", activeVersion: 2 });
    expect(after.chunks.every((c) => c.version === 2 && c.active)).toBe(true);
  });

  it("cancels a running analysis: no further stage runs and no partial chunks are left", async () => {
    const { document, request } = await acceptUpload(owner, { fileName: "cancel.pdf", bytes: await makePdf(pages(3)), collectionId: null });
    await extractAndChunk(request);
    await cancelAnalysis(owner, document.id);
    await expect(embedBatch(request, [0, 10], { index: 0, count: 1, chunkCount: 1 })).rejects.toMatchObject({ name: "AnalysisStopped" });
    const state = await documentState(document.id);
    expect(state.document).toMatchObject({ status: "cancelled" });
    expect(state.chunks).toHaveLength(0);
    expect(state.jobs[0]).toMatchObject({ status: "cancelled" });
  });

  it("deletes a document with its file, chunks and the cached answers that cite it", async () => {
    const { document, request } = await acceptUpload(owner, {
      fileName: "gone.md",
      bytes: new TextEncoder().encode("# Gone\n\nSoon deleted."),
      collectionId: null,
    });
    await runAnalysis(request);
    const { chunks } = await documentState(document.id);
    await withTenant(owner.tenantId, (tx) =>
      tx.insert(aiExactCache).values({
        tenantId: owner.tenantId,
        key: `cites-${document.id}`,
        completion: { text: "cached", finishReason: "stop", inputTokens: 1, outputTokens: 1, provider: "offline", model: "m" },
        expiresAt: new Date(Date.now() + 3_600_000),
        contextChunkIds: [chunks[0]!.id],
      }),
    );
    await deleteDocument(owner, document.id);
    expect((await documentState(document.id)).document).toBeUndefined();
    expect(await getBlobStore().get(document.storageKey)).toBeNull();
    const cached = await withSystem("test: cache rows", (tx) =>
      tx
        .select()
        .from(aiExactCache)
        .where(eq(aiExactCache.key, `cites-${document.id}`)),
    );
    expect(cached).toHaveLength(0);
    const leftover = await withSystem("test: chunk rows", (tx) =>
      tx.execute(sql`select count(*)::int as n from document_chunks where document_id = ${document.id}`),
    );
    expect(JSON.stringify(leftover)).toContain('"n":0');
  });
});

describe("tenant isolation", () => {
  it("shows another tenant none of the documents, by list or by id", async () => {
    const { document } = await acceptUpload(owner, {
      fileName: "private.md",
      bytes: new TextEncoder().encode("# Private\n\nCanary 7f3a."),
      collectionId: null,
    });
    expect((await listDocuments(stranger)).map((d) => d.id)).not.toContain(document.id);
    await expect(getDocumentDetail(stranger, document.id)).rejects.toMatchObject({ code: "not_found" });
    expect((await listDocumentChunks(stranger, document.id)).total).toBe(0);
    await expect(deleteDocument(stranger, document.id)).rejects.toMatchObject({ code: "not_found" });
    await expect(requestReanalysis(stranger, document.id)).rejects.toMatchObject({ code: "not_found" });
    await expect(cancelAnalysis(stranger, document.id)).rejects.toMatchObject({ code: "not_found" });
    // Uploading into the other tenant's collection is refused as if it did not exist.
    await expect(
      acceptUpload(stranger, { fileName: "x.md", bytes: new TextEncoder().encode("hi there"), collectionId: document.collectionId }),
    ).rejects.toMatchObject({ code: "not_found" });
  });
});
