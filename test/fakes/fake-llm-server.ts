/**
 * Scripted fake LLM HTTP servers (OpenAI-compatible and Gemini) on 127.0.0.1.
 *
 * Tests point the REAL provider clients (AI SDK, openai npm client) at these,
 * so request building, response parsing, SSE streaming, retries and aborts all
 * run over real sockets — only the model is fake. Uses node:http only.
 * A step answers with text, an HTTP error, a hang, a dropped or reset connection, or tool calls.
 */
export { fakeEmbedding } from "./fake-embeddings";
export type { FakeLlmServer, FakeStep } from "./fake-server-core";
export { startFakeOpenAI } from "./fake-openai-dialect";
export { startFakeGemini } from "./fake-gemini-dialect";
