/**
 * Proves the fakes through the real AI SDK provider clients over real sockets.
 * If these pass, app tests can trust that a scripted step reaches the SDK the
 * same way a paid API response would.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { generateText, streamText, embed, embedMany, type TextStreamPart, type ToolSet } from "ai";
import { APICallError } from "@ai-sdk/provider";
import { createOpenAI } from "@ai-sdk/openai";
import { createOpenAICompatible } from "@ai-sdk/openai-compatible";
import { createGoogleGenerativeAI } from "@ai-sdk/google";
import { startFakeGemini, startFakeOpenAI, type FakeLlmServer } from "./fake-llm-server";

const TEXT = "The quick  brown fox,\njumps over the lazy dog.";

/** Runs a promise that must reject and returns the rejection. */
async function rejectionOf(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error("expected the promise to reject");
}

/**
 * Drains fullStream, returning text deltas in order, error parts, and the error
 * the iteration itself threw. A dropped socket is NOT an `error` part in AI SDK 6:
 * the transport failure (APICallError "Failed to process successful response",
 * cause TypeError "terminated") is thrown out of the fullStream iterator.
 */
async function drain(parts: AsyncIterable<TextStreamPart<ToolSet>>): Promise<{ deltas: string[]; errorParts: unknown[]; thrown: unknown }> {
  const deltas: string[] = [];
  const errorParts: unknown[] = [];
  let thrown: unknown;
  try {
    for await (const part of parts) {
      if (part.type === "text-delta") deltas.push(part.text);
      if (part.type === "error") errorParts.push(part.error);
    }
  } catch (err) {
    thrown = err;
  }
  return { deltas, errorParts, thrown };
}

function norm(v: number[]): number {
  return Math.sqrt(v.reduce((s, x) => s + x * x, 0));
}

describe("fake OpenAI server", () => {
  let server: FakeLlmServer;
  const model = () => createOpenAI({ baseURL: server.url, apiKey: "test" }).chat("gpt-fake");

  beforeAll(async () => {
    server = await startFakeOpenAI();
  });
  afterAll(async () => {
    await server.close();
  });
  beforeEach(() => server.reset());

  it("serves non-streaming text with usage and records the request", async () => {
    server.script({ kind: "text", text: TEXT });
    const result = await generateText({ model: model(), prompt: "one two three", maxRetries: 0 });
    expect(result.text).toBe(TEXT);
    expect(result.finishReason).toBe("stop");
    expect(result.usage.inputTokens).toBe(3);
    expect(result.usage.outputTokens).toBe(9);
    expect(result.usage.totalTokens).toBe(12);

    expect(server.requests).toHaveLength(1);
    const req = server.requests[0]!;
    expect(req.method).toBe("POST");
    expect(req.path).toBe("/v1/chat/completions");
    expect(req.headers.authorization).toBe("Bearer test");
    expect(req.body).toMatchObject({ model: "gpt-fake", messages: [{ role: "user", content: "one two three" }] });
  });

  it("uses the default step when the queue is empty, and honours setDefault", async () => {
    expect((await generateText({ model: model(), prompt: "hi", maxRetries: 0 })).text).toBe("Hello from the fake model.");
    server.setDefault({ kind: "text", text: "custom default" });
    server.script({ kind: "text", text: "first" });
    expect((await generateText({ model: model(), prompt: "hi", maxRetries: 0 })).text).toBe("first");
    expect((await generateText({ model: model(), prompt: "hi", maxRetries: 0 })).text).toBe("custom default");
  });

  it("streams word chunks intact, with usage requested via stream_options", async () => {
    server.script({ kind: "text", text: TEXT, chunkDelayMs: 2, usage: { input: 11, output: 22 } });
    const result = streamText({ model: model(), prompt: "stream please", maxRetries: 0 });
    const chunks: string[] = [];
    for await (const c of result.textStream) chunks.push(c);
    expect(chunks.join("")).toBe(TEXT);
    expect(chunks.length).toBeGreaterThan(5);
    const usage = await result.usage;
    expect(usage.inputTokens).toBe(11);
    expect(usage.outputTokens).toBe(22);
    expect(await result.finishReason).toBe("stop");
    expect(server.requests[0]!.body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
  });

  it("applies delayMs before the response headers", async () => {
    server.script({ kind: "text", text: "late", delayMs: 60 });
    const started = performance.now();
    expect((await generateText({ model: model(), prompt: "x", maxRetries: 0 })).text).toBe("late");
    expect(performance.now() - started).toBeGreaterThanOrEqual(55);
  });

  it("surfaces 429 + Retry-After to the SDK as an APICallError", async () => {
    server.script({ kind: "status", status: 429, retryAfterSeconds: 7, message: "slow down" });
    const err = await rejectionOf(generateText({ model: model(), prompt: "x", maxRetries: 0 }));
    expect(APICallError.isInstance(err)).toBe(true);
    const apiErr = err as APICallError;
    expect(apiErr.statusCode).toBe(429);
    expect(apiErr.responseHeaders?.["retry-after"]).toBe("7");
    expect(apiErr.message).toBe("slow down");
    expect(apiErr.isRetryable).toBe(true);
  });

  it("lets the SDK retry honouring Retry-After, consuming steps FIFO", async () => {
    server.script({ kind: "status", status: 429, retryAfterSeconds: 0 }, { kind: "text", text: "second time lucky" });
    const result = await generateText({ model: model(), prompt: "x", maxRetries: 1 });
    expect(result.text).toBe("second time lucky");
    expect(server.requests).toHaveLength(2);
  });

  it("surfaces 500 with the provider's error body", async () => {
    server.script({ kind: "status", status: 500 });
    const err = await rejectionOf(generateText({ model: model(), prompt: "x", maxRetries: 0 }));
    expect(APICallError.isInstance(err)).toBe(true);
    expect((err as APICallError).statusCode).toBe(500);
    expect(JSON.parse((err as APICallError).responseBody ?? "{}")).toMatchObject({ error: { type: "server_error" } });
  });

  it("hangs until the client aborts, then keeps serving", async () => {
    server.script({ kind: "hang" });
    const started = performance.now();
    const err = await rejectionOf(generateText({ model: model(), prompt: "x", maxRetries: 0, abortSignal: AbortSignal.timeout(50) }));
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).name).toMatch(/Abort|Timeout/);
    expect(performance.now() - started).toBeLessThan(2_000);
    expect((await generateText({ model: model(), prompt: "x", maxRetries: 0 })).text).toBe("Hello from the fake model.");
  });

  it("drops a stream after 2 chunks: partial text, then an error part", async () => {
    server.script({ kind: "drop", text: "alpha beta gamma delta", afterChunks: 2, chunkDelayMs: 2 });
    const result = streamText({ model: model(), prompt: "x", maxRetries: 0, onError: () => {} });
    const { deltas, errorParts, thrown } = await drain(result.fullStream);
    expect(deltas.join("")).toBe("alpha beta ");
    expect(errorParts).toEqual([]);
    expect(APICallError.isInstance(thrown)).toBe(true);
    expect((thrown as APICallError).message).toBe("Failed to process successful response");
  });

  it("drops a non-streaming request before responding", async () => {
    server.script({ kind: "drop", text: "never", afterChunks: 1 });
    const err = await rejectionOf(generateText({ model: model(), prompt: "x", maxRetries: 0 }));
    expect(APICallError.isInstance(err)).toBe(true);
    expect((err as APICallError).isRetryable).toBe(true);
  });

  it("resets the connection without a response", async () => {
    server.script({ kind: "reset" });
    const err = await rejectionOf(generateText({ model: model(), prompt: "x", maxRetries: 0 }));
    expect(err).toBeInstanceOf(Error);
    expect(server.requests).toHaveLength(1);
  });

  it("embeds deterministically, honouring dimensions, L2-normalised", async () => {
    const embModel = createOpenAI({ baseURL: server.url, apiKey: "test" }).embedding("text-embedding-fake");
    const many = await embedMany({
      model: embModel,
      values: ["apple", "banana", "apple"],
      providerOptions: { openai: { dimensions: 4 } },
      maxRetries: 0,
    });
    expect(many.embeddings).toHaveLength(3);
    for (const e of many.embeddings) {
      expect(e).toHaveLength(4);
      expect(norm(e)).toBeCloseTo(1, 6);
    }
    expect(many.embeddings[0]).toEqual(many.embeddings[2]);
    expect(many.embeddings[0]).not.toEqual(many.embeddings[1]);
    expect(many.usage.tokens).toBe(3);

    const single = await embed({ model: embModel, value: "apple", maxRetries: 0 });
    expect(single.embedding).toHaveLength(8); // default dimensions
    expect(server.requests.map((r) => r.path)).toEqual(["/v1/embeddings", "/v1/embeddings"]);
  });

  it("supports encoding_format base64 (official openai client default) and lists models", async () => {
    const post = (encoding: string) =>
      fetch(`${server.url}/embeddings`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: "Bearer test" },
        body: JSON.stringify({ model: "text-embedding-fake", input: "apple", encoding_format: encoding, dimensions: 5 }),
      }).then((r) => r.json() as Promise<{ data: Array<{ embedding: number[] | string }> }>);
    const [asFloat, asBase64] = await Promise.all([post("float"), post("base64")]);
    const floats = asFloat.data[0]!.embedding as number[];
    const bytes = Buffer.from(asBase64.data[0]!.embedding as string, "base64");
    const decoded = Array.from(new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4));
    expect(decoded).toHaveLength(5);
    decoded.forEach((v, i) => expect(v).toBeCloseTo(floats[i]!, 6));

    const models = (await (await fetch(`${server.url}/models`)).json()) as { object: string; data: Array<{ id: string; owned_by: string }> };
    expect(models.object).toBe("list");
    expect(models.data.map((m) => m.id)).toContain("gpt-fake");
    expect(server.requests.at(-1)?.method).toBe("GET");
  });

  it("close() does not wait for hanging requests", async () => {
    const other = await startFakeOpenAI();
    other.setDefault({ kind: "hang" });
    const pending = rejectionOf(generateText({ model: createOpenAI({ baseURL: other.url, apiKey: "t" }).chat("gpt-fake"), prompt: "x", maxRetries: 0 }));
    while (other.requests.length === 0) await new Promise((r) => setTimeout(r, 2));
    const started = performance.now();
    await other.close();
    expect(performance.now() - started).toBeLessThan(500);
    expect(await pending).toBeInstanceOf(Error);
  });
});

describe("fake OpenAI server via @ai-sdk/openai-compatible", () => {
  let server: FakeLlmServer;

  beforeAll(async () => {
    server = await startFakeOpenAI();
  });
  afterAll(async () => {
    await server.close();
  });
  beforeEach(() => server.reset());

  it("generates and streams; usage chunk only when includeUsage asks for it", async () => {
    const withUsage = createOpenAICompatible({ name: "compat", baseURL: server.url, apiKey: "x", includeUsage: true });
    const without = createOpenAICompatible({ name: "compat", baseURL: server.url, apiKey: "x" });
    server.script({ kind: "text", text: TEXT }, { kind: "text", text: TEXT }, { kind: "text", text: TEXT });

    const gen = await generateText({ model: without("gpt-fake"), prompt: "a b", maxRetries: 0 });
    expect(gen.text).toBe(TEXT);
    expect(gen.usage.inputTokens).toBe(2);

    const s1 = streamText({ model: withUsage("gpt-fake"), prompt: "a b", maxRetries: 0 });
    expect(await s1.text).toBe(TEXT);
    expect((await s1.usage).outputTokens).toBe(9);

    const s2 = streamText({ model: without("gpt-fake"), prompt: "a b", maxRetries: 0 });
    expect(await s2.text).toBe(TEXT);
    expect((await s2.usage).outputTokens).toBeUndefined();

    expect(server.requests[1]!.body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
    expect((server.requests[2]!.body as Record<string, unknown>).stream_options).toBeUndefined();
    expect(server.requests[0]!.headers.authorization).toBe("Bearer x");
  });

  it("surfaces 429 and embeds with dimensions", async () => {
    const compat = createOpenAICompatible({ name: "compat", baseURL: server.url, apiKey: "x" });
    server.script({ kind: "status", status: 429, retryAfterSeconds: 3 });
    const err = await rejectionOf(generateText({ model: compat("gpt-fake"), prompt: "x", maxRetries: 0 }));
    expect((err as APICallError).statusCode).toBe(429);
    expect((err as APICallError).responseHeaders?.["retry-after"]).toBe("3");

    const { embedding } = await embed({
      model: compat.embeddingModel("text-embedding-fake"),
      value: "apple",
      providerOptions: { compat: { dimensions: 3 } },
      maxRetries: 0,
    });
    expect(embedding).toHaveLength(3);
    expect(norm(embedding)).toBeCloseTo(1, 6);
  });
});

describe("fake Gemini server", () => {
  let server: FakeLlmServer;
  const google = () => createGoogleGenerativeAI({ baseURL: server.url, apiKey: "test" });

  beforeAll(async () => {
    server = await startFakeGemini();
  });
  afterAll(async () => {
    await server.close();
  });
  beforeEach(() => server.reset());

  it("serves generateContent with usage", async () => {
    server.script({ kind: "text", text: TEXT });
    const result = await generateText({ model: google()("gemini-fake"), prompt: "one two three", maxRetries: 0 });
    expect(result.text).toBe(TEXT);
    expect(result.finishReason).toBe("stop");
    expect(result.usage.inputTokens).toBe(3);
    expect(result.usage.outputTokens).toBe(9);
    const req = server.requests[0]!;
    expect(req.path).toBe("/v1beta/models/gemini-fake:generateContent");
    expect(req.headers["x-goog-api-key"]).toBe("test");
  });

  it("streams via streamGenerateContent?alt=sse", async () => {
    server.script({ kind: "text", text: TEXT, chunkDelayMs: 2, usage: { input: 5, output: 6 } });
    const result = streamText({ model: google()("gemini-fake"), prompt: "x", maxRetries: 0 });
    const chunks: string[] = [];
    for await (const c of result.textStream) chunks.push(c);
    expect(chunks.join("")).toBe(TEXT);
    expect(chunks.length).toBeGreaterThan(5);
    expect((await result.usage).inputTokens).toBe(5);
    expect((await result.usage).outputTokens).toBe(6);
    expect(await result.finishReason).toBe("stop");
    expect(server.requests[0]!.path).toBe("/v1beta/models/gemini-fake:streamGenerateContent?alt=sse");
  });

  it("surfaces 429 + Retry-After and 500 in Google's error shape", async () => {
    server.script({ kind: "status", status: 429, retryAfterSeconds: 2 }, { kind: "status", status: 500, message: "boom" });
    const e429 = await rejectionOf(generateText({ model: google()("gemini-fake"), prompt: "x", maxRetries: 0 }));
    expect(APICallError.isInstance(e429)).toBe(true);
    expect((e429 as APICallError).statusCode).toBe(429);
    expect((e429 as APICallError).responseHeaders?.["retry-after"]).toBe("2");
    expect(JSON.parse((e429 as APICallError).responseBody ?? "{}")).toMatchObject({ error: { code: 429, status: "RESOURCE_EXHAUSTED" } });

    const e500 = await rejectionOf(generateText({ model: google()("gemini-fake"), prompt: "x", maxRetries: 0 }));
    expect((e500 as APICallError).statusCode).toBe(500);
    expect((e500 as APICallError).message).toBe("boom");
  });

  it("hang is aborted by the client's signal", async () => {
    server.script({ kind: "hang" });
    const err = await rejectionOf(generateText({ model: google()("gemini-fake"), prompt: "x", maxRetries: 0, abortSignal: AbortSignal.timeout(40) }));
    expect((err as Error).name).toMatch(/Abort|Timeout/);
  });

  it("drop after 2 chunks gives partial text then an error", async () => {
    server.script({ kind: "drop", text: "uno dos tres cuatro", afterChunks: 2 });
    const result = streamText({ model: google()("gemini-fake"), prompt: "x", maxRetries: 0, onError: () => {} });
    const { deltas, errorParts, thrown } = await drain(result.fullStream);
    expect(deltas.join("")).toBe("uno dos ");
    expect(errorParts).toEqual([]);
    expect(APICallError.isInstance(thrown)).toBe(true);
  });

  it("embeds via embedContent and batchEmbedContents with outputDimensionality", async () => {
    const m = google().embedding("gemini-embedding-fake");
    const one = await embed({ model: m, value: "apple", providerOptions: { google: { outputDimensionality: 6 } }, maxRetries: 0 });
    const many = await embedMany({ model: m, values: ["apple", "pear"], providerOptions: { google: { outputDimensionality: 6 } }, maxRetries: 0 });
    expect(one.embedding).toHaveLength(6);
    expect(norm(one.embedding)).toBeCloseTo(1, 6);
    expect(many.embeddings[0]).toEqual(one.embedding);
    expect(many.embeddings[1]).not.toEqual(one.embedding);
    expect(server.requests.map((r) => r.path)).toEqual([
      "/v1beta/models/gemini-embedding-fake:embedContent",
      "/v1beta/models/gemini-embedding-fake:batchEmbedContents",
    ]);
  });
});
