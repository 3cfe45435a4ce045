// Retrieval: `retrieve()` is the one way to search a tenant's documents.
export { retrieve } from "./retrieve";
export { retrievalConfigFromEnv, type RetrievalMode } from "./config";
