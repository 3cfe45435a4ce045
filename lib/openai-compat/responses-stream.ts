// A gateway stream as the Responses API's typed server-sent events, in the order the official
// client's ResponseStream accumulates them: response.created, response.in_progress; per message
// output_item.added, content_part.added, output_text.delta…, output_text.done, content_part.done,
// output_item.done; per function call output_item.added, function_call_arguments.delta…,
// function_call_arguments.done, output_item.done; then response.completed (or .incomplete), or
// response.failed when the provider broke off mid-answer.
import type { LanguageModelV3StreamPart } from "@ai-sdk/provider";
import type { CompletionStream } from "@/lib/ai/gateway";
import { billedUsage } from "./chat-completion-stream";
import { itemId, messageItem, responseObject, type FunctionCallItem, type OutputItem, type ResponseShell } from "./response-object";

const encoder = new TextEncoder();

export function responseEvents(
  stream: CompletionStream,
  shell: ResponseShell,
  /** Called with the finished answer before response.completed is sent (it stores the response). */
  onComplete: (answer: { model: string }, output: OutputItem[]) => Promise<void>,
): ReadableStream<Uint8Array> {
  let sequence = 0;
  const event = (type: string, fields: Record<string, unknown>) =>
    encoder.encode(`event: ${type}\ndata: ${JSON.stringify({ type, ...fields, sequence_number: sequence++ })}\n\n`);
  const output: OutputItem[] = [];
  let text: { id: string; index: number; text: string } | null = null;
  const calls = new Map<string, { item: FunctionCallItem; index: number }>();
  /** The provider broke off mid-answer: the finish that follows says what was delivered. */
  let failure: unknown = null;

  const openText = (): Uint8Array[] => {
    const index = output.length;
    const id = itemId("msg");
    text = { id, index, text: "" };
    output.push(messageItem(id, "", "in_progress"));
    return [
      event("response.output_item.added", { output_index: index, item: { ...messageItem(id, "", "in_progress"), content: [] } }),
      event("response.content_part.added", {
        item_id: id,
        output_index: index,
        content_index: 0,
        part: { type: "output_text", text: "", annotations: [], logprobs: [] },
      }),
    ];
  };
  const closeText = (status: "completed" | "incomplete"): Uint8Array[] => {
    if (!text) return [];
    const { id, index, text: whole } = text;
    text = null;
    const item = messageItem(id, whole, status);
    output[index] = item;
    return [
      event("response.output_text.done", { item_id: id, output_index: index, content_index: 0, text: whole, logprobs: [] }),
      event("response.content_part.done", { item_id: id, output_index: index, content_index: 0, part: item.content[0] }),
      event("response.output_item.done", { output_index: index, item }),
    ];
  };
  const openCall = (callId: string, name: string): Uint8Array[] => {
    const index = output.length;
    const item: FunctionCallItem = { id: itemId("fc"), type: "function_call", call_id: callId, name, arguments: "", status: "in_progress" };
    calls.set(callId, { item, index });
    output.push(item);
    return [event("response.output_item.added", { output_index: index, item: { ...item } })];
  };
  const argumentsDelta = (callId: string, delta: string): Uint8Array[] => {
    const call = calls.get(callId);
    if (!call || !delta) return [];
    call.item.arguments += delta;
    return [event("response.function_call_arguments.delta", { item_id: call.item.id, output_index: call.index, delta })];
  };

  const frames = (part: LanguageModelV3StreamPart): Uint8Array[] | Promise<Uint8Array[]> => {
    switch (part.type) {
      case "text-delta": {
        const opened = text ? [] : openText();
        text!.text += part.delta;
        return [
          ...opened,
          event("response.output_text.delta", { item_id: text!.id, output_index: text!.index, content_index: 0, delta: part.delta, logprobs: [] }),
        ];
      }
      case "tool-input-start":
        return [...closeText("completed"), ...openCall(part.id, part.toolName)];
      case "tool-input-delta":
        return argumentsDelta(part.id, part.delta);
      case "tool-input-end":
        return [];
      case "tool-call": {
        const { toolCallId, toolName, input } = part;
        // A provider that sends whole calls without streaming their arguments first.
        const opened = calls.has(toolCallId) ? [] : [...closeText("completed"), ...openCall(toolCallId, toolName), ...argumentsDelta(toolCallId, input)];
        const call = calls.get(toolCallId)!;
        call.item.arguments = input;
        call.item.status = "completed";
        return [
          ...opened,
          event("response.function_call_arguments.done", { item_id: call.item.id, output_index: call.index, name: toolName, arguments: input }),
          event("response.output_item.done", { output_index: call.index, item: { ...call.item } }),
        ];
      }
      case "error":
        failure = part.error;
        return [];
      case "finish":
        return failure === null ? finish(part) : failed(part, failure);
      default:
        return [];
    }
  };

  function failed(part: Extract<LanguageModelV3StreamPart, { type: "finish" }>, error: unknown): Uint8Array[] {
    const closed = closeText("incomplete");
    const message = error instanceof Error ? error.message : "The answer stopped unexpectedly.";
    const response = responseObject(shell, { status: "failed", output, usage: billedUsage(part), error: { code: "server_error", message } });
    return [...closed, event("response.failed", { response })];
  }

  async function finish(part: Extract<LanguageModelV3StreamPart, { type: "finish" }>): Promise<Uint8Array[]> {
    // No text and no call: still one (empty) message, as OpenAI answers.
    const opened = !text && output.length === 0 ? openText() : [];
    const status = part.finishReason.unified === "length" ? "incomplete" : "completed";
    const closed = closeText(status);
    await onComplete({ model: stream.model }, output);
    const response = responseObject(shell, { status, output, usage: billedUsage(part) });
    return [...opened, ...closed, event(status === "completed" ? "response.completed" : "response.incomplete", { response })];
  }

  const reader = stream.parts.getReader();
  let started = false;
  return new ReadableStream<Uint8Array>({
    async pull(sink) {
      if (!started) {
        started = true;
        const response = responseObject(shell, { status: "in_progress", output: [] });
        sink.enqueue(event("response.created", { response }));
        sink.enqueue(event("response.in_progress", { response }));
      }
      // Read until something can be sent: a pull that enqueues nothing is not called again.
      for (;;) {
        const { value, done } = await reader.read();
        if (done) {
          sink.close();
          return;
        }
        const out = await frames(value);
        for (const bytes of out) sink.enqueue(bytes);
        if (value.type === "finish") {
          sink.close();
          return;
        }
        if (out.length > 0) return;
      }
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
}
