/**
 * What both fake dialects share: scripted steps, the request log, socket tracking and teardown,
 * and how one step is played as an answer (the dialects render it in their own wire format).
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { performance } from "node:perf_hooks";

export type FakeStep =
  | { kind: "text"; text: string; delayMs?: number; chunkDelayMs?: number; usage?: { input: number; output: number } }
  | { kind: "status"; status: number; retryAfterSeconds?: number; retryAfterMs?: number; message?: string; delayMs?: number }
  | { kind: "hang" }
  | { kind: "drop"; text: string; afterChunks: number; chunkDelayMs?: number }
  | { kind: "reset" }
  /** The model asks for tool calls (after optional text); finish reason "tool_calls". */
  | { kind: "tool-calls"; calls: FakeToolCall[]; text?: string; delayMs?: number; chunkDelayMs?: number; usage?: { input: number; output: number } };

interface FakeToolCall {
  name: string;
  /** An object is sent as its JSON; a string is sent verbatim (even if it is not valid JSON). */
  arguments: string | Record<string, unknown>;
  /** Defaults to a fresh `call_fake…` id (Gemini has no call ids: the client makes its own). */
  id?: string;
}

/** A tool call as the dialects render it. */
export interface RenderedToolCall {
  id: string;
  name: string;
  arguments: string;
}

interface RecordedRequest {
  method: string;
  /** Raw request target, including any query string (e.g. "...:streamGenerateContent?alt=sse"). */
  path: string;
  headers: Record<string, string>;
  /** Parsed JSON body; the raw string if it was not JSON; undefined if empty. */
  body: unknown;
  /** performance.now() when the request arrived (before its body was read). */
  at: number;
  /** The client's port: which process of several made the request (e2e/pages/server-processes.ts). */
  remotePort: number | undefined;
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

// ---------------------------------------------------------------------------
// Shared plumbing
// ---------------------------------------------------------------------------

export type Usage = { input: number; output: number };

/** Everything a dialect needs to know to render one generation. */
export interface GenerationRenderer {
  json(text: string, usage: Usage, toolCalls: RenderedToolCall[]): unknown;
  /** SSE `data:` payloads: one per text chunk (these are what `drop.afterChunks` counts). */
  streamTextChunks(chunks: string[]): unknown[];
  /** SSE payloads for tool calls, sent after any text; `first` when no text chunk went before. */
  streamToolCalls(calls: RenderedToolCall[], first: boolean): unknown[];
  /** SSE payloads sent after all text (finish reason, usage, terminator). Raw strings are sent verbatim. */
  streamTail(usage: Usage, toolCalls: RenderedToolCall[]): Array<unknown | RawSse>;
  error(status: number, message: string): unknown;
  /** Prompt size estimate, used when the step gives no usage. */
  promptWords: number;
}

export class RawSse {
  constructor(readonly data: string) {}
}

export interface RequestContext {
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

export type Handler = (ctx: RequestContext) => Promise<void>;

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function countWords(text: string): number {
  return text.split(/\s+/).filter((w) => w.length > 0).length;
}

/** Split into word chunks that concatenate back to the exact original (spaces kept). */
function splitWords(text: string): string[] {
  const parts = text.match(/\s*\S+\s*/g);
  if (parts) return parts;
  return text.length > 0 ? [text] : [];
}

/** Rough prompt size: words in strings under text/content/parts/contents/systemInstruction keys (covers both wire formats). */
export function wordsIn(value: unknown): number {
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

export function sendJson(res: ServerResponse, status: number, payload: unknown, extraHeaders: Record<string, string> = {}): void {
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
export async function playStep(ctx: RequestContext, step: FakeStep, r: GenerationRenderer, streaming: boolean): Promise<void> {
  const { res, signal } = ctx;
  switch (step.kind) {
    case "tool-calls":
      await playToolCalls(ctx, step, r, streaming);
      return;
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
        sendJson(res, 200, r.json(step.text, usage, []));
        return;
      }
      startSse(res);
      const textPayloads = r.streamTextChunks(splitWords(step.text));
      for (const [i, payload] of textPayloads.entries()) {
        if (i > 0 && !(await sleep(step.chunkDelayMs ?? 0, signal))) return;
        await writeFlushed(res, sse(payload));
      }
      for (const payload of r.streamTail(usage, [])) await writeFlushed(res, sse(payload));
      if (!res.destroyed) res.end();
      return;
    }
  }
}

let toolCallCounter = 0;

async function playToolCalls(ctx: RequestContext, step: Extract<FakeStep, { kind: "tool-calls" }>, r: GenerationRenderer, streaming: boolean) {
  const { res, signal } = ctx;
  if (!(await sleep(step.delayMs ?? 0, signal))) return;
  const text = step.text ?? "";
  const calls = step.calls.map((call) => ({
    id: call.id ?? `call_fake${++toolCallCounter}`,
    name: call.name,
    arguments: typeof call.arguments === "string" ? call.arguments : JSON.stringify(call.arguments),
  }));
  const usage = step.usage ?? { input: r.promptWords, output: countWords(text) + calls.reduce((n, c) => n + countWords(c.arguments), 0) };
  if (!streaming) {
    sendJson(res, 200, r.json(text, usage, calls));
    return;
  }
  startSse(res);
  const textChunks = text ? r.streamTextChunks(splitWords(text)) : [];
  const payloads = [...textChunks, ...r.streamToolCalls(calls, textChunks.length === 0)];
  for (const [i, payload] of payloads.entries()) {
    if (i > 0 && !(await sleep(step.chunkDelayMs ?? 0, signal))) return;
    await writeFlushed(res, sse(payload));
  }
  for (const payload of r.streamTail(usage, calls)) await writeFlushed(res, sse(payload));
  if (!res.destroyed) res.end();
}

/** Arguments stream in a few pieces, as a real model's do. */
export function argumentPieces(json: string): string[] {
  const size = Math.max(1, Math.ceil(json.length / 3));
  const pieces: string[] = [];
  for (let i = 0; i < json.length; i += size) pieces.push(json.slice(i, i + size));
  return pieces;
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
export async function startServer(prefix: string, handler: Handler): Promise<FakeLlmServer> {
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
      requests.push({ method, path: target, headers: flattenHeaders(req.headers), body, at, remotePort: req.socket.remotePort });

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
