// Exports end to end below the page: the real export-workspace function writes the zip into
// storage; the owner's download holds every table as JSON and CSV and the originals byte for byte;
// nobody else gets it; it expires; and a workspace gets 3 a day.
import { unzipSync, strFromU8 } from "fflate";
import { describe, expect, it } from "vitest";
import { workspaceExports } from "@/db/schema";
import { withTenant } from "@/db/scope";
import { answerDeps } from "@/lib/chat/answer-deps";
import { followAnswer, startAnswer } from "@/lib/chat/answers";
import { getBlobStore } from "@/lib/storage";
import { changeMemberRole } from "@/lib/tenancy/members";
import { addMember, createTenant } from "@/test/fixtures";
import { originalText, runExport, seedWorkspace } from "@/test/leaving-harness";
import { csvLine } from "./csv";
import { originalEntryName } from "./export-steps";
import { exportFiles } from "./export-tables";
import { failExport, listWorkspaceExports, openExportDownload, purgeExpiredExports, requestWorkspaceExport } from "./workspace-exports";

async function download(...args: Parameters<typeof openExportDownload>) {
  const { body, fileName, bytes } = await openExportDownload(...args);
  const chunks: Uint8Array[] = [];
  for await (const chunk of body) chunks.push(chunk);
  const zip = Buffer.concat(chunks);
  expect(zip.length).toBe(bytes);
  return { fileName, files: unzipSync(new Uint8Array(zip)) };
}

describe("workspace exports", () => {
  it("writes every table as JSON and CSV with the originals, for the owner only", async () => {
    const owner = await createTenant("Exported");
    const other = await createTenant("Someone else");
    const seeded = await seedWorkspace(owner);

    const [latest] = await listWorkspaceExports(owner);
    expect(latest).toMatchObject({ id: seeded.exportRequest.jobId, status: "succeeded", done: 6, total: 6 });
    expect(latest!.bytes).toBeGreaterThan(0);

    const { fileName, files } = await download(owner, seeded.exportRequest.jobId);
    expect(fileName).toMatch(/^keel-exported.*\.zip$/);
    for (const name of ["README.txt", ...exportFiles]) expect(Object.keys(files)).toContain(name);

    const documents = JSON.parse(strFromU8(files["documents.json"]!)) as Array<Record<string, unknown>>;
    expect(documents).toEqual([expect.objectContaining({ id: seeded.document.id, name: "turbines <north>.txt" })]);
    expect(documents[0]).not.toHaveProperty("storageKey");
    const analyses = JSON.parse(strFromU8(files["analyses.json"]!)) as Array<{ id: string; analysis: { summary: string } }>;
    expect(analyses[0]).toMatchObject({ id: seeded.document.id, analysis: { summary: expect.any(String) } });
    const messages = JSON.parse(strFromU8(files["messages.json"]!)) as Array<{ role: string; content: string; rating: number | null }>;
    expect(messages.map((m) => m.role).sort()).toEqual(["assistant", "user"]);
    expect(messages.find((m) => m.role === "assistant")?.rating).toBe(1);
    const usage = JSON.parse(strFromU8(files["usage-events.json"]!)) as unknown[];
    expect(usage.length).toBeGreaterThan(0);
    const audit = JSON.parse(strFromU8(files["audit-log.json"]!)) as Array<{ action: string }>;
    expect(audit.map((a) => a.action)).toEqual(expect.arrayContaining(["tenant.created", "api_key.created", "tenant.export_requested"]));

    const documentsCsv = strFromU8(files["documents.csv"]!).split("\r\n");
    expect(documentsCsv[0]).toContain("id,tenantId,collectionId,name");
    expect(documentsCsv[1]).toContain(seeded.document.id);
    expect(strFromU8(files["usage-events.csv"]!).split("\r\n").filter(Boolean)).toHaveLength(usage.length + 1);

    // The original, byte for byte, under a name safe on any disk.
    const original = originalEntryName(seeded.document.id, "turbines <north>.txt");
    expect(original).toBe(`originals/${seeded.document.id}/turbines _north_.txt`);
    expect(strFromU8(files[original]!)).toBe(originalText);

    // Parts are gone from storage once the zip is written; the zip stays.
    expect(await getBlobStore().list(`${owner.tenantId}/${seeded.exportRequest.jobId}/`)).toEqual([
      `${owner.tenantId}/${seeded.exportRequest.jobId}/export-zip`,
    ]);

    // An admin is not an owner; another workspace's owner sees no such export.
    await expect(openExportDownload(seeded.member, seeded.exportRequest.jobId)).rejects.toMatchObject({ code: "forbidden" });
    await expect(openExportDownload(other, seeded.exportRequest.jobId)).rejects.toMatchObject({ code: "not_found" });
    await expect(requestWorkspaceExport(seeded.member)).rejects.toMatchObject({ code: "forbidden" });
    // Row-level security: another workspace's scope sees none of this one's export rows.
    const seenByOther = await withTenant(other.tenantId, (tx) => tx.select({ jobId: workspaceExports.jobId }).from(workspaceExports), { userId: other.userId });
    expect(seenByOther.map((row) => row.jobId)).not.toContain(seeded.exportRequest.jobId);
    const seenByOwner = await withTenant(owner.tenantId, (tx) => tx.select({ jobId: workspaceExports.jobId }).from(workspaceExports), { userId: owner.userId });
    expect(seenByOwner.map((row) => row.jobId)).toContain(seeded.exportRequest.jobId);
  }, 120_000);

  it("holds only the exporting owner's own conversations", async () => {
    const owner = await createTenant("Private chats");
    const seeded = await seedWorkspace(owner);
    const colleague = await addMember(owner, "member");
    const theirs = await startAnswer(colleague, { collectionIds: null }, { kind: "ask", question: "A private question of mine" }, answerDeps());
    for await (const update of followAnswer(colleague, theirs.answerId)) if (update.final) break;

    await failExport(seeded.exportRequest, "test: allow a new export");
    const request = await requestWorkspaceExport(owner);
    expect((await runExport(request)).error).toBeUndefined();
    const { files } = await download(owner, request.jobId);
    const conversations = JSON.parse(strFromU8(files["conversations.json"]!)) as Array<{ id: string; userId: string }>;
    expect(conversations.map((c) => c.id)).toEqual([seeded.conversationId]);
    expect(strFromU8(files["messages.csv"]!)).not.toContain("A private question of mine");
  }, 120_000);

  it("refuses a second export while one runs, and a fourth in a day", async () => {
    const owner = await createTenant("Throttled export");
    const now = new Date();
    const first = await requestWorkspaceExport(owner, now);
    await expect(requestWorkspaceExport(owner, now)).rejects.toMatchObject({ code: "conflict" });
    await failExport(first, "test");
    await failExport(await requestWorkspaceExport(owner, now), "test");
    await failExport(await requestWorkspaceExport(owner, now), "test");
    await expect(requestWorkspaceExport(owner, now)).rejects.toMatchObject({ code: "rate_limited", message: expect.stringContaining("3 times today") });
  });

  it("stops, saying why, when the person who asked is no longer an owner", async () => {
    const owner = await createTenant("Demoted exporter");
    const second = await addMember(owner, "admin");
    await changeMemberRole(owner, second.userId, "owner");
    const request = await requestWorkspaceExport(owner);
    await changeMemberRole({ ...second, role: "owner" }, owner.userId, "admin");
    const { error } = await runExport(request);
    expect(error).toBeDefined();
    const [row] = await listWorkspaceExports({ ...second, role: "owner" });
    expect(row).toMatchObject({ id: request.jobId, status: "failed", message: expect.stringContaining("no longer an owner") });
    expect(await getBlobStore().list(`${owner.tenantId}/${request.jobId}/`)).toEqual([]);
  });

  it("deletes an export and its zip once its 7 days are over", async () => {
    const owner = await createTenant("Expiring export");
    const request = await requestWorkspaceExport(owner);
    expect((await runExport(request)).error).toBeUndefined();
    expect(await getBlobStore().list(`${owner.tenantId}/${request.jobId}/`)).toHaveLength(1);
    const later = new Date(Date.now() + 8 * 86_400_000);
    expect(await purgeExpiredExports(later)).toBeGreaterThanOrEqual(1);
    expect(await getBlobStore().list(`${owner.tenantId}/${request.jobId}/`)).toEqual([]);
    await expect(openExportDownload(owner, request.jobId)).rejects.toMatchObject({ code: "not_found" });
    expect(await listWorkspaceExports(owner)).toEqual([]);
  }, 60_000);
});

describe("CSV cells", () => {
  it("quote separators and defuse formulas", () => {
    expect(csvLine(["a,b", 'say "hi"', "=HYPERLINK(1)", "-2", -2, null, new Date("2026-01-02T03:04:05Z"), { k: 1 }])).toBe(
      `"a,b","say ""hi""",'=HYPERLINK(1),'-2,-2,,2026-01-02T03:04:05.000Z,"{""k"":1}"\r\n`,
    );
  });
});
