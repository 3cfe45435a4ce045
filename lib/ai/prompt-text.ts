// Plain-text views of an AI SDK prompt: for token estimates, cache keys and the offline model.
import type { LanguageModelV3FunctionTool, LanguageModelV3Prompt } from "@ai-sdk/provider";

export interface TextMessage {
  role: "system" | "user" | "assistant" | "tool";
  text: string;
}

/** The prompt as text messages, or null when it carries anything but text (files, tool calls). */
export function textMessages(prompt: LanguageModelV3Prompt): TextMessage[] | null {
  const messages: TextMessage[] = [];
  for (const message of prompt) {
    if (message.role === "system") {
      messages.push({ role: "system", text: message.content });
      continue;
    }
    let text = "";
    for (const part of message.content) {
      if (part.type !== "text") return null;
      text += part.text;
    }
    messages.push({ role: message.role, text });
  }
  return messages;
}

/**
 * Everything in a prompt a provider bills as input: text, reasoning, tool-call arguments and tool
 * results (as JSON, which overcounts slightly: estimates must not undercount).
 */
export function promptCharacters(prompt: LanguageModelV3Prompt): string {
  const parts: string[] = [];
  for (const message of prompt) {
    if (message.role === "system") {
      parts.push(message.content);
      continue;
    }
    for (const part of message.content) {
      if (part.type === "text" || part.type === "reasoning") parts.push(part.text);
      else if (part.type === "tool-call") parts.push(part.toolName, JSON.stringify(part.input) ?? "");
      else if (part.type === "tool-result") parts.push(part.toolName, JSON.stringify(part.output));
    }
  }
  return parts.join("\n");
}

/** Tool definitions are sent with every request and billed as input too. */
export function toolCharacters(tools: readonly LanguageModelV3FunctionTool[] | undefined): string {
  return (tools ?? []).map((tool) => [tool.name, tool.description ?? "", JSON.stringify(tool.inputSchema)].join("\n")).join("\n");
}
