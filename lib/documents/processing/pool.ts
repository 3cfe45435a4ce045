// The pool of worker threads that process documents (piscina), so no untrusted byte is parsed on a
// thread that serves requests or runs jobs. Each thread has a heap limit; each stage has a
// wall-clock limit, counted from when a thread starts it (not while it waits in the queue). A
// stage past its time is aborted, which terminates its thread; a thread past its heap dies; either
// way the document fails with a clear message and piscina starts a fresh thread for the next one.
//
// The worker script is TypeScript loaded through tsx, by its path in the project. The app's
// server (`npm start`, `npm run dev`) already runs under `--import tsx`, which worker threads
// inherit; anywhere else (Vitest, scripts) the flag is added. Next.js bundles route code into
// .next/, so the path comes from the project directory, not from this module's location.
import { existsSync } from "node:fs";
import path from "node:path";
import { MessageChannel } from "node:worker_threads";
import Piscina from "piscina";
import { log } from "@/core/log";
import { processSingleton } from "@/core/process-singleton";
import { DocumentRejected } from "../errors";
import type { ExtractedDocument } from "../extract";
import type { ExtractProgress } from "../extract/types";
import { processingSettingsFromEnv, type ProcessingSettings } from "./settings";
import type { ChunkedDocument, ChunkInput, ExtractInput, PrepareInput, PreparedDocument } from "./stages";
import type { StageMessage, StageName, StageOutcome, StageTask } from "./worker";

const WORKER_SOURCE = path.join("lib", "documents", "processing", "worker.ts");
/** The worker as `npm run build` compiles it (scripts/build-server.ts): what production runs. */
const WORKER_COMPILED = path.join(".next", "keel-server", "document-worker.mjs");

/** The worker's file: compiled in production (no TypeScript loader), else its source through tsx. */
export function workerScript(env: NodeJS.ProcessEnv = process.env, root = process.cwd()): { file: string; compiled: boolean } {
  const compiled = path.resolve(root, WORKER_COMPILED);
  if (env.NODE_ENV === "production" && existsSync(compiled)) return { file: compiled, compiled: true };
  const source = path.resolve(root, WORKER_SOURCE);
  if (!existsSync(source)) throw new Error(`The document worker script is missing at ${source}: start Keel from its project directory.`);
  return { file: source, compiled: false };
}

/** This process's Node flags, plus `--import tsx` for the worker's source unless it is there already. */
export function workerExecArgv(compiled: boolean, execArgv: readonly string[] = process.execArgv): string[] {
  const loadsTsx = execArgv.some((arg, i) => arg === "--import=tsx" || ((arg === "--import" || arg === "--require") && execArgv[i + 1] === "tsx"));
  return loadsTsx || compiled ? [...execArgv] : [...execArgv, "--import", "tsx"];
}

const describeMs = (ms: number) => (ms < 1000 ? `${ms} ms` : `${Math.round(ms / 1000)} s`);

const STAGE_WORDS = { extract: "reading the file", chunk: "splitting its text into passages" } as const;

export class DocumentPool {
  private readonly piscina: Piscina<StageTask, StageOutcome<ExtractedDocument | ChunkedDocument | PreparedDocument>>;

  constructor(readonly settings: ProcessingSettings) {
    const worker = workerScript();
    this.piscina = new Piscina({
      filename: worker.file,
      minThreads: 0,
      maxThreads: settings.threads,
      idleTimeout: 30_000,
      maxQueue: settings.threads * 64,
      execArgv: workerExecArgv(worker.compiled),
      resourceLimits: { maxOldGenerationSizeMb: settings.heapMb, maxYoungGenerationSizeMb: Math.min(64, Math.max(8, settings.heapMb / 8)), stackSizeMb: 4 },
    });
  }

  /**
   * A document's passages, language, token and page counts from its original: extraction then
   * chunking on one thread (each stage with its own time limit), so the whole text never comes
   * back to this thread. What the analysis uses.
   */
  prepare(input: PrepareInput, onProgress?: ExtractProgress): Promise<PreparedDocument> {
    const bytes = movable(input.bytes);
    return this.run("prepare", { ...input, bytes }, [bytes.buffer as ArrayBuffer], onProgress) as Promise<PreparedDocument>;
  }

  /** Text out of a document's original. */
  extract(input: ExtractInput, onProgress?: ExtractProgress): Promise<ExtractedDocument> {
    const bytes = movable(input.bytes);
    return this.run("extract", { ...input, bytes }, [bytes.buffer as ArrayBuffer], onProgress) as Promise<ExtractedDocument>;
  }

  /** Passages, language and token count of extracted text. */
  chunk(input: ChunkInput): Promise<ChunkedDocument> {
    return this.run("chunk", input, []) as Promise<ChunkedDocument>;
  }

  /** Threads now running (for tests and diagnostics). */
  get threadIds(): number[] {
    return this.piscina.threads.map((thread) => thread.threadId);
  }

  close(): Promise<void> {
    return this.piscina.destroy();
  }

  private async run(
    stage: StageTask["stage"],
    input: ExtractInput | ChunkInput | PrepareInput,
    transfer: ArrayBuffer[],
    onProgress?: ExtractProgress,
  ): Promise<ExtractedDocument | ChunkedDocument | PreparedDocument> {
    const { port1, port2 } = new MessageChannel();
    const timeout = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    let current: StageName = "extract";
    let progress: Promise<void> = Promise.resolve();
    port1.on("message", (message: StageMessage) => {
      if (message.type === "stage") {
        // Each stage has the whole limit, from when the thread starts it.
        current = message.stage;
        clearTimeout(timer);
        timer = setTimeout(() => timeout.abort(), this.settings.stageTimeoutMs);
      } else if (onProgress)
        progress = progress
          .then(() => onProgress(message.done, message.total))
          .catch((error: unknown) => log.warn({ err: error }, "documents: could not record progress"));
    });
    const task = { stage, input, port: port2 } as StageTask;
    try {
      const outcome = await this.piscina.run(task, { transferList: [port2, ...transfer], signal: timeout.signal });
      await progress;
      if (!outcome.ok) throw new DocumentRejected(outcome.code, outcome.message);
      return outcome.value;
    } catch (error) {
      if (timeout.signal.aborted) {
        throw new DocumentRejected(
          "timed_out",
          `This document could not be processed: ${STAGE_WORDS[current]} took longer than ${describeMs(this.settings.stageTimeoutMs)}, the most Keel allows, so it was stopped.`,
        );
      }
      if ((error as NodeJS.ErrnoException).code === "ERR_WORKER_OUT_OF_MEMORY") {
        throw new DocumentRejected(
          "out_of_memory",
          `This document could not be processed: ${STAGE_WORDS[current]} needed more than ${this.settings.heapMb} MB of memory, the most Keel allows, so it was stopped.`,
        );
      }
      throw error;
    } finally {
      clearTimeout(timer);
      port1.close();
    }
  }
}

/** The bytes as a buffer of their own, movable to a thread (a view into a larger buffer is copied). */
function movable(bytes: Uint8Array): Uint8Array {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : bytes.slice();
}

/** This process's pool, created on first use. */
export function getDocumentPool(): DocumentPool {
  return processSingleton("documents:pool", () => new DocumentPool(processingSettingsFromEnv()));
}
