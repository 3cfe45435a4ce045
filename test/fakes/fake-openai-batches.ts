/**
 * The OpenAI Files + Batches API, just enough for embeddings batches: upload a JSONL file
 * (multipart), create a batch over it, read it (each read moves it along: validating, in_progress,
 * then done after `pollsBeforeDone` reads), list batches, cancel one, download its output file.
 * Each output line is what /v1/embeddings would have answered for that line's body.
 */
import { isRecord } from "./fake-server-core";

export interface FakeBatchOptions {
  /** Reads that still find the batch in progress before it is done (default 1). */
  pollsBeforeDone?: number;
  /** Custom ids whose lines fail (the rest succeed). */
  failCustomIds?: readonly string[];
  /** How a finished batch ends (default completed; expired keeps the output of the lines done). */
  endStatus?: "completed" | "expired" | "failed";
}

export interface FakeBatchReply {
  status: number;
  body?: unknown;
  /** A plain-text body (file contents) instead of JSON. */
  text?: string;
}

interface FakeFile {
  id: string;
  filename: string;
  purpose: string;
  content: string;
}

export interface FakeBatch {
  id: string;
  status: string;
  inputFileId: string;
  outputFileId: string | null;
  errorFileId: string | null;
  metadata: Record<string, string> | null;
  reads: number;
  counts: { total: number; completed: number; failed: number };
  createdAt: number;
}

type EmbeddingsReply = (body: unknown) => { status: number; body: unknown };
type ErrorBody = (status: number, message: string) => unknown;

let sequence = 0;
const nextId = (prefix: string) => `${prefix}_fake${++sequence}`;

/** The named parts of a multipart/form-data body (text parts only, which is all a JSONL upload has). */
function multipartParts(body: string, contentType: string): Map<string, { filename: string | null; value: string }> {
  const parts = new Map<string, { filename: string | null; value: string }>();
  const boundary = /boundary=("?)([^";]+)\1/i.exec(contentType)?.[2];
  if (!boundary) return parts;
  for (const chunk of body.split(`--${boundary}`)) {
    const split = chunk.indexOf("\r\n\r\n");
    if (split < 0) continue;
    const headers = chunk.slice(0, split);
    const name = /name="([^"]*)"/i.exec(headers)?.[1];
    if (!name) continue;
    const filename = /filename="([^"]*)"/i.exec(headers)?.[1] ?? null;
    parts.set(name, { filename, value: chunk.slice(split + 4).replace(/\r\n$/, "") });
  }
  return parts;
}

export class FakeBatchApi {
  readonly files = new Map<string, FakeFile>();
  readonly batches = new Map<string, FakeBatch>();
  private readonly options: Required<FakeBatchOptions>;

  constructor(
    options: FakeBatchOptions = {},
    private readonly embeddings: EmbeddingsReply,
    private readonly error: ErrorBody,
  ) {
    this.options = { pollsBeforeDone: options.pollsBeforeDone ?? 1, failCustomIds: options.failCustomIds ?? [], endStatus: options.endStatus ?? "completed" };
  }

  /** The answer for a Files/Batches route, or null for any other route. */
  handle(method: string, route: string, body: unknown, contentType: string): FakeBatchReply | null {
    if (method === "POST" && route === "/files") return this.upload(body, contentType);
    const content = method === "GET" ? /^\/files\/([^/]+)\/content$/.exec(route) : null;
    if (content) {
      const file = this.files.get(decodeURIComponent(content[1]!));
      return file ? { status: 200, text: file.content } : this.notFound("file");
    }
    if (method === "POST" && route === "/batches") return this.create(body);
    if (method === "GET" && route === "/batches") {
      const newestFirst = [...this.batches.values()].sort((a, b) => b.createdAt - a.createdAt);
      return { status: 200, body: { object: "list", data: newestFirst.map((b) => this.view(b)), has_more: false } };
    }
    const one = /^\/batches\/([^/]+)(\/cancel)?$/.exec(route);
    if (!one) return null;
    const batch = this.batches.get(decodeURIComponent(one[1]!));
    if (!batch) return this.notFound("batch");
    if (method === "POST" && one[2]) {
      if (!["completed", "failed", "expired"].includes(batch.status)) batch.status = "cancelled";
      return { status: 200, body: this.view(batch) };
    }
    if (method !== "GET" || one[2]) return null;
    this.advance(batch);
    return { status: 200, body: this.view(batch) };
  }

  private upload(body: unknown, contentType: string): FakeBatchReply {
    const parts = typeof body === "string" ? multipartParts(body, contentType) : new Map();
    const file = parts.get("file");
    const purpose = parts.get("purpose")?.value;
    if (!file || !purpose) return { status: 400, body: this.error(400, "Expected multipart fields 'file' and 'purpose' (fake).") };
    const stored: FakeFile = { id: nextId("file"), filename: file.filename ?? "upload", purpose, content: file.value };
    this.files.set(stored.id, stored);
    return {
      status: 200,
      body: {
        id: stored.id,
        object: "file",
        bytes: Buffer.byteLength(stored.content),
        created_at: Math.floor(Date.now() / 1000),
        filename: stored.filename,
        purpose,
      },
    };
  }

  private create(body: unknown): FakeBatchReply {
    const b = isRecord(body) ? body : {};
    const input = typeof b.input_file_id === "string" ? this.files.get(b.input_file_id) : undefined;
    if (!input || input.purpose !== "batch") return { status: 400, body: this.error(400, "Unknown input_file_id (fake).") };
    if (b.endpoint !== "/v1/embeddings") return { status: 400, body: this.error(400, "This fake batches /v1/embeddings only.") };
    const metadata = isRecord(b.metadata) ? (Object.fromEntries(Object.entries(b.metadata).map(([k, v]) => [k, String(v)])) as Record<string, string>) : null;
    const lines = input.content.split("\n").filter((l) => l.trim());
    const batch: FakeBatch = {
      id: nextId("batch"),
      status: "validating",
      inputFileId: input.id,
      outputFileId: null,
      errorFileId: null,
      metadata,
      reads: 0,
      counts: { total: lines.length, completed: 0, failed: 0 },
      createdAt: performance.now(),
    };
    this.batches.set(batch.id, batch);
    return { status: 200, body: this.view(batch) };
  }

  /** Each read moves the batch on; after `pollsBeforeDone` reads in progress, it runs every line. */
  private advance(batch: FakeBatch): void {
    if (!["validating", "in_progress"].includes(batch.status)) return;
    batch.reads += 1;
    if (batch.reads <= this.options.pollsBeforeDone) {
      batch.status = "in_progress";
      return;
    }
    const output: string[] = [];
    const errors: string[] = [];
    const lines = this.files
      .get(batch.inputFileId)!
      .content.split("\n")
      .filter((l) => l.trim());
    // An expired batch did half its lines; a failed one none.
    const runnable = this.options.endStatus === "failed" ? 0 : this.options.endStatus === "expired" ? Math.floor(lines.length / 2) : lines.length;
    for (const [index, raw] of lines.slice(0, runnable).entries()) {
      const line = JSON.parse(raw) as { custom_id: string; body: unknown };
      const id = `batch_req_${batch.id}_${index}`;
      const reply = this.options.failCustomIds.includes(line.custom_id)
        ? { status: 400, body: this.error(400, "Scripted failure (fake).") }
        : this.embeddings(line.body);
      const record = { id, custom_id: line.custom_id, response: { status_code: reply.status, request_id: id, body: reply.body }, error: null };
      (reply.status === 200 ? output : errors).push(JSON.stringify(record));
    }
    batch.counts = { total: lines.length, completed: output.length, failed: errors.length };
    batch.outputFileId = output.length ? this.store(`${batch.id}_output.jsonl`, output) : null;
    batch.errorFileId = errors.length ? this.store(`${batch.id}_errors.jsonl`, errors) : null;
    batch.status = this.options.endStatus;
  }

  private store(filename: string, lines: string[]): string {
    const file: FakeFile = { id: nextId("file"), filename, purpose: "batch_output", content: `${lines.join("\n")}\n` };
    this.files.set(file.id, file);
    return file.id;
  }

  private view(batch: FakeBatch) {
    return {
      id: batch.id,
      object: "batch",
      endpoint: "/v1/embeddings",
      input_file_id: batch.inputFileId,
      completion_window: "24h",
      status: batch.status,
      output_file_id: batch.outputFileId,
      error_file_id: batch.errorFileId,
      request_counts: batch.counts,
      metadata: batch.metadata,
    };
  }

  private notFound(what: string): FakeBatchReply {
    return { status: 404, body: this.error(404, `No such ${what} (fake).`) };
  }
}
