import { handleResponse } from "@/lib/openai-compat/responses";
import { withApiKey } from "@/lib/openai-compat/with-api-key";

export const POST = withApiKey(handleResponse);
