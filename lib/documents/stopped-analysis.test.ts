// An analysis whose job finished before its first step wrote anything (cancelled or failed in
// between) leaves the document as it was: it is not marked "processing" under a finished job.
import { beforeAll, describe, expect, it } from "vitest";
import { updateJob } from "@/lib/jobs/progress";
import { createTenant } from "@/test/fixtures";
import { documentState } from "@/test/documents-harness";
import { markAnalysisNotStarted } from "./documents";
import { acceptUpload } from "./upload";
import { AnalysisStopped, extractAndChunk } from "./pipeline";

let owner: Awaited<ReturnType<typeof createTenant>>;
beforeAll(async () => {
  owner = await createTenant("Stopped analysis");
});

describe("a step that starts after its job finished", () => {
  it("stops without marking the document processing", async () => {
    const { request } = await acceptUpload(owner, { fileName: "late.md", bytes: new TextEncoder().encode("# Late\n\n- one\n- two\n"), collectionId: null });
    // The job ends (here: the hand-off failed) while its run was already on its way.
    await markAnalysisNotStarted(request, "The job system did not take the analysis.");
    await expect(extractAndChunk(request)).rejects.toBeInstanceOf(AnalysisStopped);
    const { document, jobs } = await documentState(request.documentId);
    expect(document?.status).toBe("failed");
    expect(jobs[0]?.status).toBe("failed");
    // A job already running keeps going as before.
    const other = await acceptUpload(owner, { fileName: "on-time.md", bytes: new TextEncoder().encode("# On time\n\n- a\n- b\n"), collectionId: null });
    await updateJob(owner.tenantId, other.request.jobId, { status: "running" });
    await expect(extractAndChunk(other.request)).resolves.toBeDefined();
    expect((await documentState(other.request.documentId)).document?.status).toBe("processing");
  });
});
