// Plain-text views of an AI SDK prompt: for token estimates, cache keys and the offline model.
import type { LanguageModelV3Prompt } from "@ai-sdk/provider";

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

export function promptCharacters(prompt: LanguageModelV3Prompt): string {
  const parts: string[] = [];
  for (const message of prompt) {
    if (message.role === "system") parts.push(message.content);
    else for (const part of message.content) if (part.type === "text") parts.push(part.text);
  }
  return parts.join("\n");
}
