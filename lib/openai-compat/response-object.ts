// The Responses API's `response` object and its output items, in the shape the official client
// parses (its `output_text` is derived by the client from the message items).
import { randomBytes } from "node:crypto";
import type { CompletionResult } from "@/lib/ai/gateway";
import type { ResponseRequest } from "./responses-schema";

export const itemId = (prefix: "msg" | "fc") => `${prefix}_${randomBytes(16).toString("hex")}`;

export interface MessageItem {
  id: string;
  type: "message";
  role: "assistant";
  status: "in_progress" | "completed" | "incomplete";
  content: Array<{ type: "output_text"; text: string; annotations: never[]; logprobs: never[] }>;
}

export interface FunctionCallItem {
  id: string;
  type: "function_call";
  call_id: string;
  name: string;
  arguments: string;
  status: "in_progress" | "completed";
}

export type OutputItem = MessageItem | FunctionCallItem;

export const messageItem = (id: string, text: string, status: MessageItem["status"]): MessageItem => ({
  id,
  type: "message",
  role: "assistant",
  status,
  content: [{ type: "output_text", text, annotations: [], logprobs: [] }],
});

/** A whole answer's items: its text (if any) as one message, then each call the model asked for. */
export function outputItemsOf(result: CompletionResult): OutputItem[] {
  const status = result.finishReason === "length" ? "incomplete" : "completed";
  return [
    ...(result.text || result.toolCalls.length === 0 ? [messageItem(itemId("msg"), result.text, status)] : []),
    ...result.toolCalls.map((call): FunctionCallItem => ({
      id: itemId("fc"),
      type: "function_call",
      call_id: call.toolCallId,
      name: call.toolName,
      arguments: call.input,
      status: "completed",
    })),
  ];
}

export interface ResponseShell {
  id: string;
  createdAt: number;
  model: string;
  body: ResponseRequest;
}

export type ResponseStatus = "in_progress" | "completed" | "incomplete" | "failed";

export function responseObject(
  shell: ResponseShell,
  state: { status: ResponseStatus; output: OutputItem[]; usage?: CompletionResult["usage"]; error?: { code: string; message: string } },
) {
  const { body } = shell;
  const format = body.text?.format ?? { type: "text" as const };
  return {
    id: shell.id,
    object: "response" as const,
    created_at: shell.createdAt,
    status: state.status,
    error: state.error ?? null,
    incomplete_details: state.status === "incomplete" ? { reason: "max_output_tokens" as const } : null,
    instructions: body.instructions ?? null,
    max_output_tokens: body.max_output_tokens ?? null,
    model: shell.model,
    output: state.output,
    parallel_tool_calls: body.parallel_tool_calls ?? true,
    previous_response_id: body.previous_response_id ?? null,
    temperature: body.temperature ?? null,
    top_p: body.top_p ?? null,
    text: { format },
    tool_choice: body.tool_choice ?? "auto",
    tools: (body.tools ?? []).map((tool) => ({
      ...tool,
      description: tool.description ?? null,
      parameters: tool.parameters ?? null,
      strict: tool.strict ?? null,
    })),
    truncation: "disabled" as const,
    store: body.store ?? true,
    metadata: body.metadata ?? {},
    ...(body.user ? { user: body.user } : {}),
    usage: state.usage
      ? {
          input_tokens: state.usage.inputTokens,
          input_tokens_details: { cached_tokens: 0 },
          output_tokens: state.usage.outputTokens,
          output_tokens_details: { reasoning_tokens: 0 },
          total_tokens: state.usage.inputTokens + state.usage.outputTokens,
        }
      : null,
  };
}
