/**
 * Scripted fake LLM HTTP servers (OpenAI-compatible and Gemini) on 127.0.0.1.
 *
 * Tests point the REAL provider clients (AI SDK, openai npm client) at these,
 * so request building, response parsing, SSE streaming, retries and aborts all
 * run over real sockets — only the model is fake. Uses node:http only.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { createHash } from "node:crypto";
import { performance } from "node:perf_hooks";
import { FakeBatchApi, type FakeBatchOptions } from "./fake-openai-batches";

export type FakeStep =
  | { kind: "text"; text: string; delayMs?: number; chunkDelayMs?: number; usage?: { input: number; output: number } }
  | { kind: "status"; status: number; retryAfterSeconds?: number; retryAfterMs?: number; message?: string; delayMs?: number }
  | { kind: "hang" }
  | { kind: "drop"; text: string; afterChunks: number; chunkDelayMs?: number }
  | { kind: "reset" };

export interface RecordedRequest {
  method: string;
  /** Raw request target, including any query string (e.g. "...:streamGenerateContent?alt=sse"). */
  path: string;
  headers: Record<string, string>;
  /** Parsed JSON body; the raw string if it was not JSON; undefined if empty. */
  body: unknown;
  /** performance.now() when the request arrived (before its body was read). */
  at: number;
}

export interface FakeLlmServer {
  url: string;
  requests: RecordedRequest[];
  script(...steps: FakeStep[]): void;
  setDefault(step: FakeStep): void;
  reset(): void;
  close(): Promise<void>;
}

const INITIAL_DEFAULT: FakeStep = { kind: "text", text: "Hello from the fake model." };
const DEFAULT_EMBEDDING_DIMENSIONS = 8;

// ---------------------------------------------------------------------------
// Shared plumbing
// ---------------------------------------------------------------------------

type Usage = { input: number; output: number };

/** Everything a dialect needs to know to render one generation. */
interface GenerationRenderer {
  json(text: string, usage: Usage): unknown;
  /** SSE `data:` payloads: one per text chunk (these are what `drop.afterChunks` counts). */
  streamTextChunks(chunks: string[]): unknown[];
  /** SSE payloads sent after all text (finish reason, usage, terminator). Raw strings are sent verbatim. */
  streamTail(usage: Usage): Array<unknown | RawSse>;
  error(status: number, message: string): unknown;
  /** Prompt size estimate, used when the step gives no usage. */
  promptWords: number;
}

class RawSse {
  constructor(readonly data: string) {}
}

interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  method: string;
  /** Path with the dialect prefix (/v1, /v1beta) removed and no query string. */
  route: string;
  body: unknown;
  /** Aborted when the response finishes, the client goes away, or the server closes. */
  signal: AbortSignal;
  nextStep(): FakeStep;
}

type Handler = (ctx: RequestContext) => Promise<void>;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function countWords(text: string): number {
  return text.split(/\s+/).filter((w) => w.length > 0).length;
}

/** Split into word chunks that concatenate back to the exact original (spaces kept). */
function splitWords(text: string): string[] {
  const parts = text.match(/\s*\S+\s*/g);
  if (parts) return parts;
  return text.length > 0 ? [text] : [];
}

/** Rough prompt size: words in strings under text/content/parts/contents/systemInstruction keys (covers both wire formats). */
function wordsIn(value: unknown): number {
  if (typeof value === "string") return countWords(value);
  if (Array.isArray(value)) return value.reduce<number>((n, v) => n + wordsIn(v), 0);
  if (isRecord(value)) {
    let n = 0;
    for (const [key, v] of Object.entries(value)) {
      if (key === "text" || key === "content" || key === "parts" || key === "contents" || key === "systemInstruction") {
        n += wordsIn(v);
      }
    }
    return n;
  }
  return 0;
}

/**
 * Deterministic, L2-normalised vector for a string: sha256(text, block) bytes
 * mapped to [-1, 1]. Same input + dimensions => same vector across runs.
 */
export function fakeEmbedding(text: string, dimensions: number): number[] {
  const out: number[] = [];
  for (let block = 0; out.length < dimensions; block++) {
    const digest = createHash("sha256").update(`${block}\u0000${text}`).digest();
    for (let i = 0; i + 4 <= digest.length && out.length < dimensions; i += 4) {
      out.push((digest.readUInt32LE(i) / 0xffffffff) * 2 - 1);
    }
  }
  const norm = Math.sqrt(out.reduce((s, v) => s + v * v, 0)) || 1;
  return out.map((v) => v / norm);
}

/** The official openai client asks for base64 by default: little-endian float32 bytes. */
function toBase64Float32(vector: number[]): string {
  const buf = Buffer.alloc(vector.length * 4);
  vector.forEach((v, i) => buf.writeFloatLE(v, i * 4));
  return buf.toString("base64");
}

function parseDimensions(value: unknown): number | null {
  if (value === undefined || value === null) return DEFAULT_EMBEDDING_DIMENSIONS;
  return typeof value === "number" && Number.isInteger(value) && value > 0 && value <= 65536 ? value : null;
}

function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  if (ms <= 0) return Promise.resolve(true);
  return new Promise((resolve) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve(true);
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

/** Resolves once the bytes are handed to the kernel, so a following destroy() cannot discard them. */
function writeFlushed(res: ServerResponse, data: string): Promise<void> {
  return new Promise((resolve) => {
    if (res.destroyed || res.writableEnded) return resolve();
    res.write(data, () => resolve());
  });
}

function sendJson(res: ServerResponse, status: number, payload: unknown, extraHeaders: Record<string, string> = {}): void {
  if (res.destroyed || res.headersSent) return;
  const body = JSON.stringify(payload);
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(body).toString(),
    ...extraHeaders,
  });
  res.end(body);
}

function sse(payload: unknown): string {
  return payload instanceof RawSse ? `data: ${payload.data}\n\n` : `data: ${JSON.stringify(payload)}\n\n`;
}

function startSse(res: ServerResponse): void {
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
  // Push headers now so the client's fetch() resolves before the first chunk delay.
  res.flushHeaders();
}

function readBody(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("error", reject);
    req.on("end", () => {
      const raw = Buffer.concat(chunks).toString("utf8");
      if (raw.length === 0) return resolve(undefined);
      try {
        resolve(JSON.parse(raw) as unknown);
      } catch {
        resolve(raw);
      }
    });
  });
}

function flattenHeaders(headers: IncomingMessage["headers"]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(headers)) {
    if (value !== undefined) out[key] = Array.isArray(value) ? value.join(", ") : value;
  }
  return out;
}

/** Plays one scripted step as the answer to a chat/generateContent request. */
async function playStep(ctx: RequestContext, step: FakeStep, r: GenerationRenderer, streaming: boolean): Promise<void> {
  const { res, signal } = ctx;
  switch (step.kind) {
    case "hang":
      // Leave the response open; the request-level signal fires when the client
      // aborts (socket closes) or close() runs, and nothing else is pending.
      return;
    case "reset":
      ctx.req.socket.destroy();
      return;
    case "status": {
      if (!(await sleep(step.delayMs ?? 0, signal))) return;
      const headers: Record<string, string> = {};
      if (step.retryAfterSeconds !== undefined) headers["retry-after"] = String(step.retryAfterSeconds);
      // OpenAI's precise variant, sent beside (or instead of) the standard header.
      if (step.retryAfterMs !== undefined) headers["retry-after-ms"] = String(step.retryAfterMs);
      sendJson(res, step.status, r.error(step.status, step.message ?? defaultMessage(step.status)), headers);
      return;
    }
    case "drop": {
      if (!streaming) {
        ctx.req.socket.destroy();
        return;
      }
      startSse(res);
      const payloads = r.streamTextChunks(splitWords(step.text)).slice(0, Math.max(0, step.afterChunks));
      for (const payload of payloads) {
        await writeFlushed(res, sse(payload));
        // Always yield (even with 0ms) so the client sees each chunk before the
        // connection dies; an errored web stream discards unread chunks.
        if (!(await sleep(Math.max(1, step.chunkDelayMs ?? 0), signal))) return;
      }
      ctx.req.socket.destroy();
      return;
    }
    case "text": {
      if (!(await sleep(step.delayMs ?? 0, signal))) return;
      const usage = step.usage ?? { input: r.promptWords, output: countWords(step.text) };
      if (!streaming) {
        sendJson(res, 200, r.json(step.text, usage));
        return;
      }
      startSse(res);
      const textPayloads = r.streamTextChunks(splitWords(step.text));
      for (const [i, payload] of textPayloads.entries()) {
        if (i > 0 && !(await sleep(step.chunkDelayMs ?? 0, signal))) return;
        await writeFlushed(res, sse(payload));
      }
      for (const payload of r.streamTail(usage)) await writeFlushed(res, sse(payload));
      if (!res.destroyed) res.end();
      return;
    }
  }
}

function defaultMessage(status: number): string {
  switch (status) {
    case 400:
      return "Invalid request (fake).";
    case 401:
      return "Incorrect API key provided (fake).";
    case 403:
      return "Permission denied (fake).";
    case 404:
      return "Not found (fake).";
    case 429:
      return "Rate limit reached (fake).";
    case 500:
      return "The server had an error while processing your request (fake).";
    case 502:
      return "Bad gateway (fake).";
    case 503:
      return "The service is temporarily overloaded (fake).";
    default:
      return `Fake error ${status}.`;
  }
}

/** Shared server lifecycle: step queue, request log, socket tracking, teardown. */
async function startServer(prefix: string, handler: Handler): Promise<FakeLlmServer> {
  let queue: FakeStep[] = [];
  let fallback: FakeStep = INITIAL_DEFAULT;
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  const inFlight = new Set<AbortController>();

  const server = createServer((req, res) => {
    const at = performance.now();
    const controller = new AbortController();
    inFlight.add(controller);
    // 'close' fires both after a normal end and when the client disconnects
    // mid-response; either way pending timers for this request must stop.
    res.on("close", () => {
      controller.abort();
      inFlight.delete(controller);
    });

    void (async () => {
      let body: unknown;
      try {
        body = await readBody(req);
      } catch {
        res.destroy();
        return;
      }
      const target = req.url ?? "/";
      const method = req.method ?? "GET";
      requests.push({ method, path: target, headers: flattenHeaders(req.headers), body, at });

      const pathname = new URL(target, "http://fake.invalid").pathname;
      // Accept the path with or without the version prefix so a client whose
      // baseURL omits it still works.
      const route = pathname.startsWith(`${prefix}/`) ? pathname.slice(prefix.length) : pathname;
      try {
        await handler({
          req,
          res,
          method,
          route,
          body,
          signal: controller.signal,
          nextStep: () => queue.shift() ?? fallback,
        });
      } catch (err) {
        if (!res.headersSent) sendJson(res, 500, { error: { message: String(err) } });
        else res.destroy();
      }
    })();
  });
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}${prefix}`,
    requests,
    script: (...steps) => {
      queue.push(...steps);
    },
    setDefault: (step) => {
      fallback = step;
    },
    reset: () => {
      queue = [];
      requests.length = 0;
      fallback = INITIAL_DEFAULT;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        for (const c of inFlight) c.abort();
        server.close((err) => (err ? reject(err) : resolve()));
        // Keep-alive and hanging sockets would otherwise keep close() pending forever.
        for (const s of sockets) s.destroy();
      }),
  };
}

// ---------------------------------------------------------------------------
// OpenAI-compatible dialect (chat completions, embeddings, models)
// ---------------------------------------------------------------------------

const OPENAI_MODELS = ["gpt-fake", "gpt-fake-mini", "text-embedding-fake"];

function openAIError(status: number, message: string): unknown {
  const [type, code] =
    status === 429
      ? ["requests", "rate_limit_exceeded"]
      : status === 401
        ? ["invalid_request_error", "invalid_api_key"]
        : status === 404
          ? ["invalid_request_error", "not_found"]
          : status >= 500
            ? ["server_error", "server_error"]
            : ["invalid_request_error", "invalid_request"];
  return { error: { message, type, param: null, code } };
}

let openAIIdCounter = 0;

function openAIRenderer(body: Record<string, unknown>): GenerationRenderer {
  const id = `chatcmpl-fake${++openAIIdCounter}`;
  const created = Math.floor(Date.now() / 1000);
  const model = typeof body.model === "string" ? body.model : "gpt-fake";
  const streamOptions = isRecord(body.stream_options) ? body.stream_options : {};
  const includeUsage = streamOptions.include_usage === true;
  const usageJson = (u: Usage) => ({ prompt_tokens: u.input, completion_tokens: u.output, total_tokens: u.input + u.output });
  const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) => ({
    id,
    object: "chat.completion.chunk",
    created,
    model,
    choices,
    ...extra,
  });
  return {
    promptWords: wordsIn(body.messages),
    json: (text, usage) => ({
      id,
      object: "chat.completion",
      created,
      model,
      choices: [{ index: 0, message: { role: "assistant", content: text, refusal: null }, logprobs: null, finish_reason: "stop" }],
      usage: usageJson(usage),
    }),
    // The role rides on the first content chunk so `afterChunks` counts only text chunks.
    streamTextChunks: (chunks) =>
      (chunks.length > 0 ? chunks : [""]).map((content, i) =>
        chunk([{ index: 0, delta: i === 0 ? { role: "assistant", content } : { content }, logprobs: null, finish_reason: null }]),
      ),
    streamTail: (usage) => [
      chunk([{ index: 0, delta: {}, logprobs: null, finish_reason: "stop" }]),
      // Usage only comes as a trailing choices:[] chunk, and only when asked for.
      ...(includeUsage ? [chunk([], { usage: usageJson(usage) })] : []),
      new RawSse("[DONE]"),
    ],
    error: openAIError,
  };
}

/** The answer to one /embeddings request body (also what each line of an embeddings batch gets). */
function embeddingsReply(body: unknown): { status: number; body: unknown } {
  const b = isRecord(body) ? body : {};
  const inputs = typeof b.input === "string" ? [b.input] : Array.isArray(b.input) ? b.input.map((v) => (typeof v === "string" ? v : JSON.stringify(v))) : null;
  const dims = parseDimensions(b.dimensions);
  if (inputs === null || dims === null) return { status: 400, body: openAIError(400, "Invalid 'input' or 'dimensions' (fake).") };
  const base64 = b.encoding_format === "base64";
  const tokens = inputs.reduce((n, s) => n + countWords(s), 0);
  return {
    status: 200,
    body: {
      object: "list",
      data: inputs.map((text, index) => {
        const vector = fakeEmbedding(text, dims);
        return { object: "embedding", index, embedding: base64 ? toBase64Float32(vector) : vector };
      }),
      model: typeof b.model === "string" ? b.model : "text-embedding-fake",
      usage: { prompt_tokens: tokens, total_tokens: tokens },
    },
  };
}

const openAIHandler: Handler = async (ctx) => {
  const { method, route, body, res } = ctx;

  if (method === "POST" && route === "/chat/completions") {
    const b = isRecord(body) ? body : {};
    await playStep(ctx, ctx.nextStep(), openAIRenderer(b), b.stream === true);
    return;
  }

  if (method === "POST" && route === "/embeddings") {
    const reply = embeddingsReply(body);
    sendJson(res, reply.status, reply.body);
    return;
  }

  if (method === "GET" && route === "/models") {
    sendJson(res, 200, { object: "list", data: OPENAI_MODELS.map((id) => ({ id, object: "model", created: 1700000000, owned_by: "fake" })) });
    return;
  }
  const modelMatch = method === "GET" ? /^\/models\/(.+)$/.exec(route) : null;
  if (modelMatch?.[1] !== undefined && OPENAI_MODELS.includes(decodeURIComponent(modelMatch[1]))) {
    sendJson(res, 200, { id: decodeURIComponent(modelMatch[1]), object: "model", created: 1700000000, owned_by: "fake" });
    return;
  }

  sendJson(res, 404, openAIError(404, `Unknown route ${method} ${route} (fake).`));
};

export interface FakeOpenAIOptions {
  /** The Files + Batches API (on by default); `false` answers its routes 404, as a server without it does. */
  batches?: FakeBatchOptions | false;
}

export async function startFakeOpenAI(options: FakeOpenAIOptions = {}): Promise<FakeLlmServer & { batches: FakeBatchApi | null }> {
  const batches = options.batches === false ? null : new FakeBatchApi(options.batches, embeddingsReply, openAIError);
  const server = await startServer("/v1", async (ctx) => {
    const reply = batches?.handle(ctx.method, ctx.route, ctx.body, ctx.req.headers["content-type"] ?? "");
    if (reply) return reply.text === undefined ? sendJson(ctx.res, reply.status, reply.body) : sendText(ctx.res, reply.status, reply.text);
    await openAIHandler(ctx);
  });
  return { ...server, batches };
}

function sendText(res: ServerResponse, status: number, text: string): void {
  if (res.destroyed || res.headersSent) return;
  res.writeHead(status, { "content-type": "application/octet-stream", "content-length": Buffer.byteLength(text).toString() });
  res.end(text);
}

// ---------------------------------------------------------------------------
// Gemini dialect (generateContent, streamGenerateContent, embeddings)
// ---------------------------------------------------------------------------

const GEMINI_MODELS = ["gemini-fake", "gemini-fake-flash", "gemini-embedding-fake"];

/** Google's canonical status strings; the AI SDK's error schema requires `status`. */
function googleStatus(status: number): string {
  switch (status) {
    case 400:
      return "INVALID_ARGUMENT";
    case 401:
      return "UNAUTHENTICATED";
    case 403:
      return "PERMISSION_DENIED";
    case 404:
      return "NOT_FOUND";
    case 409:
      return "ABORTED";
    case 429:
      return "RESOURCE_EXHAUSTED";
    case 499:
      return "CANCELLED";
    case 501:
      return "UNIMPLEMENTED";
    case 503:
      return "UNAVAILABLE";
    case 504:
      return "DEADLINE_EXCEEDED";
    default:
      return status >= 500 ? "INTERNAL" : "FAILED_PRECONDITION";
  }
}

function geminiError(status: number, message: string): unknown {
  return { error: { code: status, message, status: googleStatus(status) } };
}

let geminiIdCounter = 0;

function geminiRenderer(body: Record<string, unknown>, model: string): GenerationRenderer {
  const responseId = `fake-gemini-${++geminiIdCounter}`;
  const usageJson = (u: Usage) => ({ promptTokenCount: u.input, candidatesTokenCount: u.output, totalTokenCount: u.input + u.output });
  const content = (text: string) => ({ role: "model", parts: [{ text }] });
  return {
    promptWords: wordsIn(body.contents) + wordsIn(body.systemInstruction),
    json: (text, usage) => ({
      candidates: [{ content: content(text), finishReason: "STOP", index: 0 }],
      usageMetadata: usageJson(usage),
      modelVersion: model,
      responseId,
    }),
    streamTextChunks: (chunks) => chunks.map((text) => ({ candidates: [{ content: content(text), index: 0 }], modelVersion: model, responseId })),
    // Separate final chunk (empty text is ignored by the SDK) so a `drop` can
    // never have delivered a finishReason.
    streamTail: (usage) => [
      { candidates: [{ content: content(""), finishReason: "STOP", index: 0 }], usageMetadata: usageJson(usage), modelVersion: model, responseId },
    ],
    error: geminiError,
  };
}

function geminiEmbeddingText(content: unknown): string {
  if (!isRecord(content) || !Array.isArray(content.parts)) return "";
  return content.parts.map((p) => (isRecord(p) && typeof p.text === "string" ? p.text : "")).join("");
}

const geminiHandler: Handler = async (ctx) => {
  const { method, route, body, res } = ctx;
  const b = isRecord(body) ? body : {};

  if (method === "GET" && route === "/models") {
    sendJson(res, 200, {
      models: GEMINI_MODELS.map((m) => ({
        name: `models/${m}`,
        displayName: m,
        supportedGenerationMethods: m.includes("embedding") ? ["embedContent"] : ["generateContent", "countTokens"],
      })),
    });
    return;
  }

  // Model path is "models/<id>" or, for ids containing "/", the id itself (tunedModels/...).
  const match = method === "POST" ? /^\/(.+):([A-Za-z]+)$/.exec(route) : null;
  const modelPath = match?.[1];
  const action = match?.[2];
  const model = modelPath?.replace(/^models\//, "") ?? "";

  switch (action) {
    case "generateContent":
    case "streamGenerateContent":
      await playStep(ctx, ctx.nextStep(), geminiRenderer(b, model), action === "streamGenerateContent");
      return;
    case "countTokens":
      sendJson(res, 200, { totalTokens: wordsIn(b.contents) });
      return;
    case "embedContent": {
      const dims = parseDimensions(b.outputDimensionality);
      if (dims === null) break;
      sendJson(res, 200, { embedding: { values: fakeEmbedding(geminiEmbeddingText(b.content), dims) } });
      return;
    }
    case "batchEmbedContents": {
      if (!Array.isArray(b.requests)) break;
      const embeddings: Array<{ values: number[] }> = [];
      for (const r of b.requests) {
        const rec = isRecord(r) ? r : {};
        const dims = parseDimensions(rec.outputDimensionality);
        if (dims === null) {
          sendJson(res, 400, geminiError(400, "Invalid outputDimensionality (fake)."));
          return;
        }
        embeddings.push({ values: fakeEmbedding(geminiEmbeddingText(rec.content), dims) });
      }
      sendJson(res, 200, { embeddings });
      return;
    }
    default:
      sendJson(res, 404, geminiError(404, `Unknown route ${method} ${route} (fake).`));
      return;
  }
  sendJson(res, 400, geminiError(400, "Invalid request (fake)."));
};

export function startFakeGemini(): Promise<FakeLlmServer> {
  return startServer("/v1beta", geminiHandler);
}
