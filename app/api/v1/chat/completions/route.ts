import { handleChatCompletion } from "@/lib/openai-compat/chat-completions";
import { withApiKey } from "@/lib/openai-compat/with-api-key";

export const POST = withApiKey(handleChatCompletion);
