// The document pool keeps untrusted work off the caller's thread: a stage past its time or memory
// fails that document with a clear reason, the pool starts a fresh thread, and the caller's event
// loop stays free meanwhile. Real inputs, real threads (the worker's source, tsx-loaded; `npm start` runs it compiled).
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { afterAll, describe, expect, it } from "vitest";
import { largeHtml, textOneWord } from "@/test/hostile-documents";
import { DocumentPool, workerExecArgv, workerScript } from "./pool";

const small = () => new TextEncoder().encode("# Notes\n\nThe turbine reports its output every day.");
const pools: DocumentPool[] = [];
const pool = (settings: Partial<DocumentPool["settings"]> = {}) => {
  const created = new DocumentPool({ threads: 1, heapMb: 512, stageTimeoutMs: 60_000, ...settings });
  pools.push(created);
  return created;
};
afterAll(() => Promise.all(pools.map((p) => p.close())));

/** Nice values of this process's threads (Linux). */
function threadNiceValues(): number[] {
  return readdirSync("/proc/self/task").map((tid) => Number(readFileSync(`/proc/self/task/${tid}/stat`, "utf8").split(") ")[1]!.split(" ")[16]));
}

describe("document pool", () => {
  it("extracts and chunks on a worker thread", async () => {
    const documents = pool();
    const extracted = await documents.extract({ bytes: small(), kind: "markdown" });
    expect(extracted.segments).toEqual([{ text: "# Notes\n\nThe turbine reports its output every day.", heading: "Notes", page: null }]);
    const chunked = await documents.chunk({ segments: extracted.segments, settings: { targetTokens: 800, overlapRatio: 0.2, maxDocumentTokens: 1e6 } });
    expect(chunked).toMatchObject({ language: "en", tokenCount: expect.any(Number) });
    expect(chunked.chunks).toHaveLength(1);
  });

  it("prepares a document in one task: passages, language, pages", async () => {
    const prepared = await pool().prepare({ bytes: small(), kind: "markdown", settings: { targetTokens: 800, overlapRatio: 0.2, maxDocumentTokens: 1e6 } });
    expect(prepared).toMatchObject({ language: "en", pageCount: null, chunks: [expect.objectContaining({ heading: "Notes" })] });
  });

  it("gives each stage of a prepared document its own time limit, and names the stage that overran", async () => {
    // A copy for each call (a call moves its buffer to the thread), made before any clock starts.
    const original = textOneWord(4);
    const [toRead, toPrepare] = [original.slice(), original.slice()];
    const settings = { targetTokens: 800, overlapRatio: 0.2, maxDocumentTokens: 1e7 };
    // Time each stage here and now (machines differ tenfold): reading 4 MB of text is quick,
    // splitting it into passages (tokenizing) is not. Threads are started before the clock runs.
    const timing = pool();
    await timing.extract({ bytes: small(), kind: "markdown" });
    let start = performance.now();
    const extracted = await timing.extract({ bytes: toRead, kind: "text" });
    const readMs = performance.now() - start;
    start = performance.now();
    await timing.chunk({ segments: extracted.segments, settings });
    const splitMs = performance.now() - start;
    expect(splitMs, `reading took ${Math.round(readMs)} ms, splitting ${Math.round(splitMs)} ms`).toBeGreaterThan(readMs * 4);
    // A limit between the two: each stage gets all of it, so the read passes and the split does not.
    const limited = pool({ stageTimeoutMs: Math.round(Math.sqrt(readMs * splitMs)) });
    await limited.extract({ bytes: small(), kind: "markdown" });
    await expect(limited.prepare({ bytes: toPrepare, kind: "text", settings })).rejects.toMatchObject({
      code: "timed_out",
      message: expect.stringMatching(/splitting its text into passages took longer than/),
    });
  });

  it("stops a stage past its time limit, says so, and replaces the thread", async () => {
    const documents = pool({ stageTimeoutMs: 200 });
    await documents.extract({ bytes: small(), kind: "markdown" });
    const before = documents.threadIds;
    const delay = monitorEventLoopDelay({ resolution: 10 });
    delay.enable();
    const niceDuring = new Promise<number[]>((resolve) => setTimeout(() => resolve(threadNiceValues()), 100));
    await expect(documents.extract({ bytes: largeHtml(8), kind: "html" })).rejects.toMatchObject({
      code: "timed_out",
      message: expect.stringMatching(/reading the file took longer than 200 ms/),
    });
    delay.disable();
    // The caller's event loop was never held while the thread worked.
    expect(delay.max / 1e6).toBeLessThan(500);
    // The worker thread ran at the lowest priority.
    expect(await niceDuring).toContain(19);
    const after = await documents.extract({ bytes: small(), kind: "markdown" });
    expect(after.segments).toHaveLength(1);
    expect(documents.threadIds.some((id) => before.includes(id))).toBe(false);
  });

  it("fails a stage that passes the heap limit as out of memory, and goes on with a fresh thread", async () => {
    const documents = pool({ heapMb: 96 });
    await expect(documents.extract({ bytes: largeHtml(10), kind: "html" })).rejects.toMatchObject({
      code: "out_of_memory",
      message: expect.stringMatching(/needed more than 96 MB of memory/),
    });
    expect((await documents.extract({ bytes: small(), kind: "markdown" })).segments).toHaveLength(1);
  });

  it("returns a parser's refusal as the document's reason", async () => {
    await expect(pool().extract({ bytes: new TextEncoder().encode(`<html><body>${"<b>".repeat(5_000)}x</body></html>`), kind: "html" })).rejects.toMatchObject({
      code: "too_complex",
    });
  });

  it("adds tsx to the Node flags only for the worker's source, and only when it is not there", () => {
    expect(workerExecArgv(false, ["--import", "tsx"])).toEqual(["--import", "tsx"]);
    expect(workerExecArgv(false, ["--conditions", "node"])).toEqual(["--conditions", "node", "--import", "tsx"]);
    expect(workerExecArgv(true, ["--conditions", "node"])).toEqual(["--conditions", "node"]);
  });

  it("runs the compiled worker in production once the build wrote it, else the source", () => {
    const root = mkdtempSync(path.join(tmpdir(), "keel-worker-"));
    mkdirSync(path.join(root, "lib/documents/processing"), { recursive: true });
    writeFileSync(path.join(root, "lib/documents/processing/worker.ts"), "");
    expect(workerScript({ NODE_ENV: "production" }, root)).toEqual({ file: path.join(root, "lib/documents/processing/worker.ts"), compiled: false });
    mkdirSync(path.join(root, ".next/keel-server"), { recursive: true });
    writeFileSync(path.join(root, ".next/keel-server/document-worker.mjs"), "");
    expect(workerScript({ NODE_ENV: "production" }, root)).toEqual({ file: path.join(root, ".next/keel-server/document-worker.mjs"), compiled: true });
    expect(workerScript({ NODE_ENV: "test" }, root).compiled).toBe(false);
  });
});
