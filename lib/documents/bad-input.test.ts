// What people upload by mistake or on purpose. Each gets a clear reason on that file or document,
// and leaves no partial chunks, no orphan file and no charge beyond what was really spent.
import { describe, expect, it } from "vitest";
import { getGateway } from "@/lib/ai";
import { getBlobStore } from "@/lib/storage";
import { makeEncryptedPdf, makePdf, makeScannedPdf, corruptPdf } from "@/test/document-fixtures";
import { docxDeflateBomb } from "@/test/hostile-documents";
import { createTenant } from "@/test/fixtures";
import { documentState, runAnalysis, usageOf } from "@/test/documents-harness";
import { setLimits, startFakeProvidersForFile } from "@/test/gateway-harness";
import { listDocuments } from "./documents";
import { acceptUpload } from "./upload";

const text = (value: string) => new TextEncoder().encode(value);
const providers = startFakeProvidersForFile();
const resetGateway = () => (globalThis as { __keelSingletons?: Map<string, unknown> }).__keelSingletons?.delete("ai:gateway");

/** Runs `body` with a paid provider configured (the fake OpenAI): offline calls spend no allowance. */
async function withPaidProvider<T>(body: () => Promise<T>): Promise<T> {
  const saved = { key: process.env.OPENAI_API_KEY, url: process.env.OPENAI_BASE_URL };
  process.env.OPENAI_API_KEY = "test-openai";
  process.env.OPENAI_BASE_URL = providers.openai.url;
  resetGateway();
  try {
    return await body();
  } finally {
    for (const [name, value] of [
      ["OPENAI_API_KEY", saved.key],
      ["OPENAI_BASE_URL", saved.url],
    ] as const) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    resetGateway();
  }
}

async function expectNothingLeft(tenant: Awaited<ReturnType<typeof createTenant>>) {
  expect(await listDocuments(tenant)).toHaveLength(0);
  expect(await getBlobStore().list(`${tenant.tenantId}/`)).toEqual([]);
  await getGateway().flush();
  expect(await usageOf(tenant.tenantId)).toHaveLength(0);
}

describe("refused at upload: nothing is stored, nothing is charged", () => {
  it.each([
    ["an empty file", "empty.txt", new Uint8Array(0), "empty", /empty/],
    ["text named .pdf", "report.pdf", text("Just some notes, not a PDF."), "type_mismatch", /named \.pdf but its content is plain text/],
    ["a program named .pdf", "invoice.pdf", new Uint8Array([0x4d, 0x5a, 0x90, 0x00, 0x03, 0, 0, 0]), "unsupported_type", /program/],
    [
      "a PDF named .txt",
      "notes.txt",
      new Uint8Array(Buffer.from("%PDF-1.7\n%âãÏÓ\n1 0 obj\n<<>>\nendobj\n")),
      "type_mismatch",
      /named \.txt but its content is a PDF/,
    ],
    ["a legacy .doc", "old.doc", new Uint8Array([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, 0, 0]), "unsupported_type", /legacy Word/],
    ["binary noise", "noise.bin", new Uint8Array(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256)), "unsupported_type", /not a document|binary/],
  ])("%s", async (_label, fileName, bytes, code, message) => {
    const tenant = await createTenant("Refused upload");
    await expect(acceptUpload(tenant, { fileName, bytes, collectionId: null })).rejects.toMatchObject({ code, message: expect.stringMatching(message) });
    await expectNothingLeft(tenant);
  });

  it("an over-size file, and one past the workspace's storage quota", async () => {
    const tenant = await createTenant("Too big");
    const big = text("x ".repeat(600_000));
    await expect(
      acceptUpload(tenant, { fileName: "big.txt", bytes: big, collectionId: null }, { limits: { maxFileBytes: 1_000_000, tenantStorageBytes: 1e9 } }),
    ).rejects.toMatchObject({
      code: "too_large",
      message: expect.stringMatching(/largest file Keel takes is 977 KB/),
    });
    const fits = text("Small note. ".repeat(100));
    await acceptUpload(tenant, { fileName: "first.txt", bytes: fits, collectionId: null }, { limits: { maxFileBytes: 1e6, tenantStorageBytes: 1_500 } });
    // Other content of the same size (the same bytes would be refused as a duplicate first).
    await expect(
      acceptUpload(
        tenant,
        { fileName: "second.txt", bytes: text("Small nota. ".repeat(100)), collectionId: null },
        { limits: { maxFileBytes: 1e6, tenantStorageBytes: 1_500 } },
      ),
    ).rejects.toMatchObject({ code: "storage_quota", message: expect.stringMatching(/does not fit/) });
    expect(await listDocuments(tenant)).toHaveLength(1);
    expect(await getBlobStore().list(`${tenant.tenantId}/`)).toHaveLength(1);
  });
});

describe("refused during analysis: a clear reason on the document, no chunks, no model call", () => {
  it.each([
    ["a corrupt PDF", "broken.pdf", () => corruptPdf(), "corrupt", /damaged/],
    ["an encrypted PDF", "locked.pdf", () => makeEncryptedPdf(), "encrypted", /password-protected/],
    ["a scanned PDF with no text layer", "scan.pdf", () => makeScannedPdf(), "no_text", /No text found.*OCR/],
    ["a DOCX zip bomb whose headers tell the truth", "bomb.docx", () => docxDeflateBomb(512, false), "zip_bomb", /declares 512 MB.*zip bomb/],
    ["a DOCX zip bomb whose headers lie", "bomb.docx", () => docxDeflateBomb(512, true), "zip_bomb", /word\/document\.xml.*expands to more than 64 MB/],
  ])("%s", async (_label, fileName, make, code, message) => {
    const tenant = await createTenant("Bad document");
    const { document, request } = await acceptUpload(tenant, { fileName, bytes: await make(), collectionId: null });
    const { error } = await runAnalysis(request);
    // Not retried: no retry can mend the file itself.
    expect(error).toMatchObject({ name: "NonRetriableError" });
    const state = await documentState(document.id);
    expect(state.document).toMatchObject({ status: "failed", errorCode: code, error: expect.stringMatching(message) });
    expect(state.jobs[0]).toMatchObject({ status: "failed" });
    expect(state.chunks).toHaveLength(0);
    await getGateway().flush();
    expect(await usageOf(tenant.tenantId)).toHaveLength(0);
    // The original stays with its document (deleting the document removes it); nothing else is stored.
    expect(await getBlobStore().list(`${tenant.tenantId}/`)).toEqual([document.storageKey]);
  });

  it("a tenant over its AI quota: a clear failure on the document, not a retry storm", () =>
    withPaidProvider(async () => {
      const tenant = await createTenant("Over quota");
      await setLimits(tenant, { monthlyTokenLimit: 50 });
      const { document, request } = await acceptUpload(tenant, {
        fileName: "q.pdf",
        bytes: await makePdf([{ paragraphs: ["Plenty of words ".repeat(200)] }]),
        collectionId: null,
      });
      const { error } = await runAnalysis(request);
      expect(error).toMatchObject({ name: "NonRetriableError" });
      const state = await documentState(document.id);
      expect(state.document).toMatchObject({ status: "failed", errorCode: "quota_exceeded", error: expect.stringMatching(/monthly token limit.*resets on/) });
      expect(state.chunks).toHaveLength(0);
      await getGateway().flush();
      // The refused embedding call cost nothing.
      expect((await usageOf(tenant.tenantId)).every((u) => u.inputTokens + u.outputTokens === 0)).toBe(true);
      // Refused before any provider was asked.
      expect(providers.openai.requests).toHaveLength(0);
    }));
});

describe("handled as what they are", () => {
  it("keeps unsafe file names only as safe display names", async () => {
    const tenant = await createTenant("Names");
    const names = ["../../etc/passwd.md", "C:\\Windows\\system32\\evil.md", "bell\u0007and\u202Egnp.md", `${"long-".repeat(60)}name.md`];
    // Different content each (the same bytes twice would be refused as a duplicate).
    for (const [i, fileName] of names.entries()) await acceptUpload(tenant, { fileName, bytes: text(`# Note ${i}\n\nHello there.`), collectionId: null });
    const stored = (await listDocuments(tenant)).map((d) => d.name).sort();
    expect(stored).toContain("passwd.md");
    expect(stored).toContain("evil.md");
    expect(stored).toContain("bellandgnp.md");
    expect(stored.every((name) => !/[/\\\u0000-\u001f\u202e]/.test(name) && Array.from(name).length <= 200)).toBe(true);
    expect(stored.find((n) => n.startsWith("long-"))).toMatch(/^long-long-.*…\.md$/);
    // Storage keys are made of ids only.
    expect((await getBlobStore().list(`${tenant.tenantId}/`)).every((key) => /^[0-9a-f-]{36}\/[0-9a-f-]{36}\/original$/.test(key))).toBe(true);
  });

  it("drops NUL bytes from extracted text instead of failing", async () => {
    const tenant = await createTenant("NUL text");
    const body = `# Notes\n\n${"Ordinary sentence about the plant. ".repeat(40)}\u0000 hidden NUL\u0000 here.`;
    const { document, request } = await acceptUpload(tenant, { fileName: "nul.md", bytes: text(body), collectionId: null });
    await runAnalysis(request);
    const state = await documentState(document.id);
    expect(state.document).toMatchObject({ status: "ready" });
    expect(state.chunks.map((c) => c.content).join("")).toContain("hidden NUL here.");
    expect(state.chunks.every((c) => !c.content.includes("\u0000"))).toBe(true);
  });

  it.each([
    [
      "German",
      "de",
      "Die Anlage liefert jeden Tag Strom für die Stadt, und die Techniker prüfen die Turbinen mit großer Sorgfalt. Der Bericht ist für das Team.",
    ],
    ["Japanese", "ja", "風力発電所は毎日町に電気を供給しています。技術者はタービンを丁寧に点検します。この報告書はチームのためのものです。"],
  ])("a document in %s", async (_label, language, sentence) => {
    const tenant = await createTenant("Languages");
    const { document, request } = await acceptUpload(tenant, { fileName: "bericht.txt", bytes: text(`${sentence}\n\n`.repeat(30)), collectionId: null });
    await runAnalysis(request);
    const state = await documentState(document.id);
    expect(state.document).toMatchObject({ status: "ready", language });
    expect(state.document!.analysis).toMatchObject({ language });
    expect(state.chunks.length).toBeGreaterThan(0);
  });
});
