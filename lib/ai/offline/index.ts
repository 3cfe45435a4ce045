/**
 * Keel's `offline` provider: used when no API key is configured (fresh machine, CI).
 *
 * Implements the AI SDK 6 provider specs (LanguageModelV3 / EmbeddingModelV3) so that
 * `generateText`, `streamText`, `Output.object`, `generateObject`, `embed` and `embedMany`
 * work unchanged. Everything here is a pure function of the input: no network, no clock,
 * no randomness, so the same call always produces the same output.
 */
export { embedTextOffline, OfflineEmbeddingModel } from "./embedding-model";
export { OFFLINE_NO_ANSWER } from "./extractive-answer";
export { OfflineLanguageModel } from "./language-model";
