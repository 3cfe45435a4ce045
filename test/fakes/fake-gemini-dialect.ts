// The fake's Gemini dialect: generateContent and streamGenerateContent (text and function calls),
// embeddings and models, in the shapes the AI SDK's Google provider parses.
import { fakeEmbedding, parseDimensions } from "./fake-embeddings";
import {
  isRecord,
  playStep,
  sendJson,
  startServer,
  wordsIn,
  type FakeLlmServer,
  type GenerationRenderer,
  type Handler,
  type RenderedToolCall,
  type Usage,
} from "./fake-server-core";

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
  // Gemini sends whole calls (no ids, arguments as an object), and finishes them with STOP too.
  const functionCall = (call: RenderedToolCall) => ({ functionCall: { name: call.name, args: argsObject(call.arguments) } });
  return {
    promptWords: wordsIn(body.contents) + wordsIn(body.systemInstruction),
    json: (text, usage, toolCalls) => ({
      candidates: [{ content: { role: "model", parts: [...(text ? [{ text }] : []), ...toolCalls.map(functionCall)] }, finishReason: "STOP", index: 0 }],
      usageMetadata: usageJson(usage),
      modelVersion: model,
      responseId,
    }),
    streamTextChunks: (chunks) => chunks.map((text) => ({ candidates: [{ content: content(text), index: 0 }], modelVersion: model, responseId })),
    streamToolCalls: (calls) => [{ candidates: [{ content: { role: "model", parts: calls.map(functionCall) }, index: 0 }], modelVersion: model, responseId }],
    // Separate final chunk (empty text is ignored by the SDK) so a `drop` can
    // never have delivered a finishReason.
    streamTail: (usage) => [
      { candidates: [{ content: content(""), finishReason: "STOP", index: 0 }], usageMetadata: usageJson(usage), modelVersion: model, responseId },
    ],
    error: geminiError,
  };
}

function argsObject(json: string): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(json);
    return isRecord(parsed) ? parsed : {};
  } catch {
    return {};
  }
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
