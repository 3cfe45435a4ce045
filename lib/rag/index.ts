// Retrieval: `retrieve()` is the one way to search a tenant's documents.
export {
  retrieve,
  type RetrievalContext,
  type RetrievalDeps,
  type RetrievalHit,
  type RetrievalResult,
  type RetrieveOptions,
  type SearchStrategy,
} from "./retrieve";
export { retrievalConfigFromEnv, retrievalModes, type RetrievalConfig, type RetrievalMode } from "./config";
export { MAX_K, DEFAULT_K } from "./options";
