// The fake's OpenAI-compatible dialect: chat completions (text and tool calls, JSON and SSE),
// embeddings, models, and (fake-openai-batches.ts) Files + Batches, in the shapes the official clients parse.
import type { ServerResponse } from "node:http";
import { fakeEmbedding, parseDimensions, toBase64Float32 } from "./fake-embeddings";
import { FakeBatchApi, type FakeBatchOptions } from "./fake-openai-batches";
import {
  argumentPieces,
  countWords,
  isRecord,
  playStep,
  RawSse,
  sendJson,
  startServer,
  wordsIn,
  type FakeLlmServer,
  type GenerationRenderer,
  type Handler,
  type RenderedToolCall,
  type Usage,
} from "./fake-server-core";

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
  const toolCallJson = (call: RenderedToolCall) => ({ id: call.id, type: "function", function: { name: call.name, arguments: call.arguments } });
  return {
    promptWords: wordsIn(body.messages),
    json: (text, usage, toolCalls) => ({
      id,
      object: "chat.completion",
      created,
      model,
      choices: [
        {
          index: 0,
          message:
            toolCalls.length > 0
              ? { role: "assistant", content: text || null, refusal: null, tool_calls: toolCalls.map(toolCallJson) }
              : { role: "assistant", content: text, refusal: null },
          logprobs: null,
          finish_reason: toolCalls.length > 0 ? "tool_calls" : "stop",
        },
      ],
      usage: usageJson(usage),
    }),
    // The role rides on the first content chunk so `afterChunks` counts only text chunks.
    streamTextChunks: (chunks) =>
      (chunks.length > 0 ? chunks : [""]).map((content, i) =>
        chunk([{ index: 0, delta: i === 0 ? { role: "assistant", content } : { content }, logprobs: null, finish_reason: null }]),
      ),
    // OpenAI's shape: the first chunk of each call names it with empty arguments, the rest carry
    // only `index` and argument pieces.
    streamToolCalls: (calls, first) =>
      calls.flatMap((call, index) => [
        chunk([
          {
            index: 0,
            delta: {
              ...(first && index === 0 ? { role: "assistant", content: null } : {}),
              tool_calls: [{ index, id: call.id, type: "function", function: { name: call.name, arguments: "" } }],
            },
            logprobs: null,
            finish_reason: null,
          },
        ]),
        ...argumentPieces(call.arguments).map((piece) =>
          chunk([{ index: 0, delta: { tool_calls: [{ index, function: { arguments: piece } }] }, logprobs: null, finish_reason: null }]),
        ),
      ]),
    streamTail: (usage, toolCalls) => [
      chunk([{ index: 0, delta: {}, logprobs: null, finish_reason: toolCalls.length > 0 ? "tool_calls" : "stop" }]),
      // Usage only comes as a trailing choices:[] chunk, and only when asked for.
      ...(includeUsage ? [chunk([], { usage: usageJson(usage) })] : []),
      new RawSse("[DONE]"),
    ],
    error: openAIError,
  };
}

/** What the fake embeds a text as: by default a hash of it (fake-embeddings.ts). */
type FakeEmbedder = (text: string, dimensions: number) => number[];

/** The answer to one /embeddings request body (also what each line of an embeddings batch gets). */
function embeddingsReply(body: unknown, embed: FakeEmbedder = fakeEmbedding): { status: number; body: unknown } {
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
        const vector = embed(text, dims);
        return { object: "embedding", index, embedding: base64 ? toBase64Float32(vector) : vector };
      }),
      model: typeof b.model === "string" ? b.model : "text-embedding-fake",
      usage: { prompt_tokens: tokens, total_tokens: tokens },
    },
  };
}

const openAIHandler =
  (embed: FakeEmbedder): Handler =>
  async (ctx) => {
    const { method, route, body, res } = ctx;

    if (method === "POST" && route === "/chat/completions") {
      const b = isRecord(body) ? body : {};
      await playStep(ctx, ctx.nextStep(), openAIRenderer(b), b.stream === true);
      return;
    }

    if (method === "POST" && route === "/embeddings") {
      const reply = embeddingsReply(body, embed);
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
  /**
   * How texts are embedded (default: a hash of the text). The retrieval benchmark answers its
   * queries with vectors near its generated clusters, so the real gateway path serves them.
   */
  embed?: FakeEmbedder;
}

export async function startFakeOpenAI(options: FakeOpenAIOptions = {}): Promise<FakeLlmServer & { batches: FakeBatchApi | null }> {
  const embed = options.embed ?? fakeEmbedding;
  const reply = (body: unknown) => embeddingsReply(body, embed);
  const handler = openAIHandler(embed);
  const batches = options.batches === false ? null : new FakeBatchApi(options.batches, reply, openAIError);
  const server = await startServer("/v1", async (ctx) => {
    const reply = batches?.handle(ctx.method, ctx.route, ctx.body, ctx.req.headers["content-type"] ?? "");
    if (reply) return reply.text === undefined ? sendJson(ctx.res, reply.status, reply.body) : sendText(ctx.res, reply.status, reply.text);
    await handler(ctx);
  });
  return { ...server, batches };
}

function sendText(res: ServerResponse, status: number, text: string): void {
  if (res.destroyed || res.headersSent) return;
  res.writeHead(status, { "content-type": "application/octet-stream", "content-length": Buffer.byteLength(text).toString() });
  res.end(text);
}
