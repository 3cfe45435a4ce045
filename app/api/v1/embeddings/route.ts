import { handleEmbeddings } from "@/lib/openai-compat/embeddings";
import { withApiKey } from "@/lib/openai-compat/with-api-key";

export const POST = withApiKey(handleEmbeddings);
