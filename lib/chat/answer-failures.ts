// What a person reads when an answer could not be given, and a code the page keys its retry and
// quota messages on. Provider errors never reach the page as they are (they go to the logs).
import { isGatewayError } from "@/lib/ai/errors";
import { formatLongDate } from "@/lib/format/dates";

export interface AnswerFailure {
  code: "quota_exceeded" | "providers_unavailable" | "invalid_request" | "interrupted" | "failed";
  message: string;
}

export function describeAnswerFailure(thrown: unknown): AnswerFailure {
  // The AI SDK may wrap the gateway's error: look down the cause chain for it.
  let error = thrown;
  for (let depth = 0; depth < 4 && !isGatewayError(error) && error instanceof Error && error.cause !== undefined; depth++) error = error.cause;
  if (isGatewayError(error)) {
    switch (error.code) {
      case "quota_exceeded": {
        const resets = error.quota?.resetsAt ? ` It resets on ${formatLongDate(error.quota.resetsAt)} (UTC).` : "";
        const whose =
          error.quota?.limit === "member_tokens"
            ? "You have reached your monthly AI allowance in this workspace."
            : "Your workspace has reached its monthly AI quota.";
        return { code: "quota_exceeded", message: `${whose}${resets} An admin can raise the limit on the Usage page.` };
      }
      case "providers_unavailable":
      case "no_route":
      case "service_unavailable":
      case "stream_interrupted":
      case "provider_rejected":
        return { code: "providers_unavailable", message: "The AI service is not answering right now. Try again in a moment." };
      case "invalid_request":
        return { code: "invalid_request", message: "The question could not be sent as it is. Shorten it or start a new conversation." };
      default:
        break;
    }
  }
  return { code: "failed", message: "Something went wrong while answering. Try again." };
}

export const INTERRUPTED: AnswerFailure = {
  code: "interrupted",
  message: "This answer was interrupted when the server restarted. Regenerate it to get a full answer.",
};
