// The entry of a document worker thread (run by the pool in pool.ts). Each task is one stage over
// one document's bytes or text; a refusal comes back as data (its code and message survive the
// thread boundary, an Error's own fields would not). The thread lowers its own scheduling
// priority, so a file that keeps it busy cannot take CPU time from request handling.
import { setPriority } from "node:os";
import type { MessagePort } from "node:worker_threads";
import { DocumentRejected, type DocumentProblem } from "../errors";
import { chunkStage, extractStage, type ChunkedDocument, type ChunkInput, type ExtractInput, type PrepareInput, type PreparedDocument } from "./stages";
import type { ExtractedDocument } from "../extract";

try {
  // On Linux this sets the calling thread's nice value only (threads are scheduled as tasks).
  setPriority(19);
} catch {
  // Not permitted or not supported: the thread runs at the process's priority.
}

/** One stage, or (`prepare`) extraction then chunking in one go, so the text never crosses back. */
export type StageTask =
  | { stage: "extract"; input: ExtractInput; port: MessagePort }
  | { stage: "chunk"; input: ChunkInput; port: MessagePort }
  | { stage: "prepare"; input: PrepareInput; port: MessagePort };

export type StageName = "extract" | "chunk";

/** Sent to the pool as each stage begins (its time limit starts then), and as pages are read. */
export type StageMessage = { type: "stage"; stage: StageName } | { type: "progress"; done: number; total: number };

export type StageOutcome<T> = { ok: true; value: T } | { ok: false; code: DocumentProblem; message: string };

export default async function runStage(task: StageTask): Promise<StageOutcome<ExtractedDocument | ChunkedDocument | PreparedDocument>> {
  const post = (message: StageMessage) => task.port.postMessage(message);
  const extract = (input: ExtractInput) => {
    post({ type: "stage", stage: "extract" });
    return extractStage(input, (done, total) => post({ type: "progress", done, total }));
  };
  const chunk = (input: ChunkInput) => {
    post({ type: "stage", stage: "chunk" });
    return chunkStage(input);
  };
  try {
    switch (task.stage) {
      case "extract":
        return { ok: true, value: await extract(task.input) };
      case "chunk":
        return { ok: true, value: chunk(task.input) };
      case "prepare": {
        const extracted = await extract(task.input);
        return { ok: true, value: { ...chunk({ segments: extracted.segments, settings: task.input.settings }), pageCount: extracted.pageCount } };
      }
    }
  } catch (error) {
    if (error instanceof DocumentRejected) return { ok: false, code: error.code, message: error.message };
    // Anything else a parser threw was caused by these bytes (the stages are pure): the same file
    // would fail the same way again, so it is a refusal too, with what the parser said.
    const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    const doing = task.stage === "chunk" ? "splitting its text into passages" : "reading it";
    return { ok: false, code: "corrupt", message: `This document could not be processed: ${doing} failed (${detail.slice(0, 200)}).` };
  } finally {
    task.port.close();
  }
}
