// Stored chat rows as the AI SDK's UI messages, the shape the page renders and useChat keeps.
import type { ChatMessage } from "@/db/schema";
import { ANSWER_PART_ID, citationSource, type AnswerState, type KeelUIMessage } from "./ui-message";

export function storedAnswerState(row: Pick<ChatMessage, "status" | "error" | "errorCode" | "details">): AnswerState {
  return {
    status: row.status,
    ...(row.error ? { error: row.error } : {}),
    ...(row.errorCode ? { errorCode: row.errorCode } : {}),
    ...(row.status === "streaming" ? {} : { details: row.details }),
  };
}

export function toUIMessage(row: ChatMessage): KeelUIMessage {
  if (row.role === "user") return { id: row.id, role: "user", parts: [{ type: "text", text: row.content }] };
  return {
    id: row.id,
    role: "assistant",
    metadata: { rating: row.rating === 1 || row.rating === -1 ? row.rating : null, correction: row.correction },
    parts: [
      ...(row.content ? [{ type: "text" as const, text: row.content, state: row.status === "streaming" ? ("streaming" as const) : ("done" as const) }] : []),
      ...row.citations.map(citationSource),
      { type: "data-answer", id: ANSWER_PART_ID, data: storedAnswerState(row) },
    ],
  };
}
