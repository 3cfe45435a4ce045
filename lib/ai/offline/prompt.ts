// Reads an AI SDK prompt as the offline model needs it: the question, the context, and all text for usage.
import type { JSONValue, LanguageModelV3Message, LanguageModelV3Prompt, LanguageModelV3ToolResultOutput } from "@ai-sdk/provider";
import type { SentenceSource } from "./corpus";

const QUESTION_LABEL = /^\s*(?:question|q)\s*:\s*/i;

export interface ParsedPrompt {
  readonly question: string;
  readonly context: ReadonlyArray<{ text: string; source: SentenceSource }>;
  /** Every piece of text in the prompt, for input-token usage. */
  readonly allText: readonly string[];
}

function toolOutputText(output: LanguageModelV3ToolResultOutput): string {
  switch (output.type) {
    case "text":
    case "error-text":
      return output.value;
    case "json":
    case "error-json":
      return jsonStrings(output.value).join("\n");
    case "content":
      return output.value.map((part) => (part.type === "text" ? part.text : "")).join("\n");
    case "execution-denied":
      return output.reason ?? "";
  }
}

/** String leaves of a JSON value: tool results are usually objects, but their prose is in strings. */
function jsonStrings(value: JSONValue | undefined): string[] {
  if (typeof value === "string") return [value];
  if (Array.isArray(value)) return value.flatMap(jsonStrings);
  if (value !== null && typeof value === "object") return Object.values(value).flatMap(jsonStrings);
  return [];
}

/** The string leaves of a text part that is a JSON object, or null when it is not one. */
function jsonData(text: string): string[] | null {
  const trimmed = text.trim();
  if (!trimmed.startsWith("{") || !trimmed.endsWith("}")) return null;
  try {
    return jsonStrings(JSON.parse(trimmed) as JSONValue);
  } catch {
    return null;
  }
}

function messageTexts(message: LanguageModelV3Message): { context: string[]; all: string[] } {
  switch (message.role) {
    case "system":
      return { context: [message.content], all: [message.content] };
    case "user": {
      const texts = message.content.flatMap((part) => (part.type === "text" ? [part.text] : []));
      // A part that is a JSON document (retrieved passages sent as quoted data) contributes its prose.
      return { context: texts.flatMap((text) => jsonData(text) ?? [text]), all: texts };
    }
    case "assistant": {
      const context: string[] = [];
      const all: string[] = [];
      for (const part of message.content) {
        if (part.type === "text") {
          context.push(part.text);
          all.push(part.text);
        } else if (part.type === "reasoning") {
          all.push(part.text);
        } else if (part.type === "tool-call") {
          all.push(JSON.stringify(part.input) ?? "");
        } else if (part.type === "tool-result") {
          const text = toolOutputText(part.output);
          context.push(text);
          all.push(text);
        }
      }
      return { context, all };
    }
    case "tool": {
      const texts = message.content.flatMap((part) => (part.type === "tool-result" ? [toolOutputText(part.output)] : []));
      return { context: texts, all: texts };
    }
  }
}

/**
 * Splits the last user message into the question and any inline context. An explicit
 * "Question:" line wins (RAG templates often put the context first); otherwise the first
 * non-empty line is the question and the rest is context.
 */
function splitQuestion(text: string): { question: string; rest: string } {
  const lines = text.replace(/\r\n?/g, "\n").split("\n");
  let index = lines.findIndex((line) => QUESTION_LABEL.test(line));
  let question = "";
  if (index >= 0) {
    question = (lines[index] ?? "").replace(QUESTION_LABEL, "").trim();
    if (!question) {
      // "Question:" on its own line: the question is the next non-empty line.
      const next = lines.findIndex((line, i) => i > index && line.trim() !== "");
      if (next >= 0) {
        lines.splice(index, 1);
        index = next - 1;
        question = (lines[index] ?? "").trim();
      }
    }
  } else {
    index = lines.findIndex((line) => line.trim() !== "");
    question = index >= 0 ? (lines[index] ?? "").trim() : "";
  }
  const rest = index >= 0 ? lines.filter((_, i) => i !== index).join("\n") : "";
  return { question, rest };
}

export function parsePrompt(prompt: LanguageModelV3Prompt): ParsedPrompt {
  let lastUser = -1;
  prompt.forEach((message, i) => {
    if (message.role === "user") lastUser = i;
  });
  const context: Array<{ text: string; source: SentenceSource }> = [];
  const allText: string[] = [];
  let question = "";
  let inline = "";
  prompt.forEach((message, i) => {
    const texts = messageTexts(message);
    allText.push(...texts.all);
    if (i === lastUser) {
      const split = splitQuestion(texts.context.join("\n"));
      question = split.question;
      inline = split.rest;
    } else {
      const source: SentenceSource = message.role === "system" ? "system" : "message";
      for (const text of texts.context) context.push({ text, source });
    }
  });
  // Inline context comes last: it is the freshest material the caller attached to the question.
  if (inline.trim()) context.push({ text: inline, source: "message" });
  return { question, context, allText };
}
