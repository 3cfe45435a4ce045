// Reads an AI SDK prompt as the offline model needs it: the question, the material to answer
// from (with the citation number of each numbered source), and all text for usage.
import type { JSONValue, LanguageModelV3Message, LanguageModelV3Prompt, LanguageModelV3ToolResultOutput } from "@ai-sdk/provider";
import type { ContextPart } from "./corpus";

const QUESTION_LABEL = /^\s*(?:question|q)\s*:\s*/i;
/** A line that starts another labelled part of a template ("Context:", "Answer:"). */
const OTHER_LABEL = /^\s*(?:context|answer|document|source|passage|excerpt|background|notes?|text)[ \t]*(?:\[?\d{1,6}\]?[ \t]*)?:/i;
const ENDS_SENTENCE = /[.!?…:;]["'”’)\]]*$/;
/** Answers written earlier cite passages of earlier turns: their numbers mean nothing now. */
const CITATION_MARK = /\s?\[\d{1,3}\]/g;

export interface ParsedPrompt {
  readonly question: string;
  readonly context: readonly ContextPart[];
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
      return jsonMaterial(output.value, 0)
        .map((part) => part.text)
        .join("\n");
    case "content":
      return output.value.map((part) => (part.type === "text" ? part.text : "")).join("\n");
    case "execution-denied":
      return output.reason ?? "";
  }
}

// Numbered sources in JSON, as RAG templates send them: {"n": 2, "document": "…", "text": "…"}.
const CITATION_KEYS = ["n", "id", "number", "index", "ref", "citation", "source_id"] as const;
const PROSE_KEYS = ["text", "content", "passage", "excerpt", "chunk", "body", "snippet", "quote", "page_content"] as const;
const MAX_JSON_DEPTH = 32;

function citationOf(value: JSONValue | undefined): string | undefined {
  if (typeof value === "number" && Number.isInteger(value) && value >= 0 && value < 1_000) return String(value);
  if (typeof value === "string" && /^[\w.-]{1,24}$/.test(value)) return value;
  return undefined;
}

/**
 * The prose of a JSON value: its string leaves. An object with a citation key and a prose field is
 * a numbered source: its prose is cited by that number, and its other fields (document names,
 * pages) are labels, not material.
 */
function jsonMaterial(value: JSONValue | undefined, depth: number): Array<{ text: string; citation?: string }> {
  if (depth > MAX_JSON_DEPTH) return [];
  if (typeof value === "string") return [{ text: value }];
  if (Array.isArray(value)) return value.flatMap((item) => jsonMaterial(item, depth + 1));
  if (value === null || typeof value !== "object") return [];
  const record = value as Record<string, JSONValue | undefined>;
  const citation = CITATION_KEYS.map((key) => citationOf(record[key])).find((c) => c !== undefined);
  const prose = PROSE_KEYS.flatMap((key) => (typeof record[key] === "string" ? [record[key]] : []));
  if (citation !== undefined && prose.length > 0) return [{ text: prose.join("\n\n"), citation }];
  return Object.values(record).flatMap((item) => jsonMaterial(item, depth + 1));
}

/** The material of a text part that is a JSON document, or null when it is not one. */
function jsonData(text: string): Array<{ text: string; citation?: string }> | null {
  const trimmed = text.trim();
  if (!/^[{[]/.test(trimmed) || !/[}\]]$/.test(trimmed)) return null;
  try {
    return jsonMaterial(JSON.parse(trimmed) as JSONValue, 0);
  } catch {
    return null;
  }
}

// `<document>…</document>`, `<source id="2">…</source>`: material quoted in template markup.
const OPENING_TAG = /(?:^|\n)[ \t]*<([A-Za-z][\w:.-]{0,63})((?:[ \t][^<>\n]{0,300})?)>/g;
const CITATION_ATTRIBUTE = /\b(?:id|n|index|number|ref|source|key)\s*=\s*["']?([\w.-]{1,24})/i;
/** Bounds the closing-tag searches, each a scan of the rest of the text. */
const MAX_TAG_LOOKUPS = 64;
const MAX_TAG_DEPTH = 3;

interface Tagged {
  /** The text outside any tagged block: the request around the material. */
  outside: string;
  blocks: Array<{ text: string; citation?: string }>;
}

function taggedBlocks(text: string, budget: { lookups: number }, depth = 0): Tagged {
  const blocks: Tagged["blocks"] = [];
  let outside = "";
  let cursor = 0;
  const unclosed = new Set<string>();
  const opening = new RegExp(OPENING_TAG.source, "g");
  for (let match = opening.exec(text); match; match = opening.exec(text)) {
    const name = match[1]!;
    if (unclosed.has(name)) continue;
    if (budget.lookups-- <= 0) break;
    const contentStart = match.index + match[0].length;
    const closing = `</${name}>`;
    const close = text.indexOf(closing, contentStart);
    if (close < 0) {
      unclosed.add(name);
      continue;
    }
    outside += text.slice(cursor, match.index);
    const citation = CITATION_ATTRIBUTE.exec(match[2] ?? "")?.[1];
    const content = text.slice(contentStart, close);
    const inner = depth < MAX_TAG_DEPTH ? taggedBlocks(content, budget, depth + 1) : { outside: content, blocks: [] };
    for (const block of inner.blocks) blocks.push({ text: block.text, citation: block.citation ?? citation });
    if (inner.outside.trim()) blocks.push({ text: inner.outside, citation });
    cursor = close + closing.length;
    opening.lastIndex = cursor;
  }
  return { outside: outside + text.slice(cursor), blocks };
}

/**
 * The question in text with no delimited material: an explicit "Question:" label wins (RAG
 * templates often put the context first); otherwise the first line is. A question runs over wrapped
 * lines until one ends it; the rest is context.
 */
function splitQuestion(text: string): { question: string; rest: string } {
  const lines = text.replace(/\r\n?/g, "\n").split("\n");
  const labelled = lines.findIndex((line) => QUESTION_LABEL.test(line));
  const start = labelled >= 0 ? labelled : lines.findIndex((line) => line.trim() !== "");
  if (start < 0) return { question: "", rest: "" };
  let end = start + 1;
  if (labelled >= 0 && !lines[start]!.replace(QUESTION_LABEL, "").trim()) {
    // "Question:" on its own line: the question starts on the next non-empty line.
    while (end < lines.length && !lines[end]!.trim()) end += 1;
    end += 1;
  }
  // A question wrapped over lines goes on until a line ends it (or a blank line, or another label).
  const ended = () => ENDS_SENTENCE.test(lines[end - 1]!.trim());
  while (end < lines.length && !ended() && lines[end]!.trim() && !OTHER_LABEL.test(lines[end]!) && !QUESTION_LABEL.test(lines[end]!)) end += 1;
  const question = lines.slice(start, end).join(" ").replace(QUESTION_LABEL, "").replace(/\s+/g, " ").trim();
  const rest = [...lines.slice(0, start), ...lines.slice(end)].join("\n");
  return { question, rest };
}

interface Request {
  question: string;
  material: ContextPart[];
  /** The caller set its material apart (JSON data, tagged blocks): the rest is instructions. */
  delimited: boolean;
}

/** The last user turn: the question, and whatever material it carries. */
function readRequest(texts: string[], budget: { lookups: number }): Request {
  const material: ContextPart[] = [];
  const candidates: string[] = [];
  let delimited = false;
  for (const text of texts) {
    const data = jsonData(text);
    if (data) {
      delimited = true;
      for (const part of data) material.push({ ...part, source: "message" });
      continue;
    }
    const tagged = taggedBlocks(text, budget);
    if (tagged.blocks.length > 0) delimited = true;
    for (const block of tagged.blocks) material.push({ ...block, source: "message" });
    if (tagged.outside.trim()) candidates.push(tagged.outside);
  }
  // A part that is all question ("Question: …" beside data parts) is the question, whole.
  const whole = candidates.findIndex((text) => QUESTION_LABEL.test(text) && QUESTION_LABEL.exec(text)?.index === 0);
  if (whole >= 0) {
    const question = candidates[whole]!.replace(QUESTION_LABEL, "").replace(/\s+/g, " ").trim();
    for (const [i, text] of candidates.entries()) if (i !== whole) material.push({ text, source: "message" });
    return { question, material, delimited };
  }
  const split = splitQuestion(candidates.join("\n"));
  if (split.rest.trim()) material.push({ text: split.rest, source: "message" });
  return { question: split.question, material, delimited };
}

/** Earlier turns: what they quoted, their text, and tool results. */
function earlierMaterial(message: LanguageModelV3Message, budget: { lookups: number }): { material: ContextPart[]; delimited: boolean } {
  switch (message.role) {
    case "system":
      return { material: [{ text: message.content, source: "system" }], delimited: false };
    case "user": {
      const request = readRequest(
        message.content.flatMap((part) => (part.type === "text" ? [part.text] : [])),
        budget,
      );
      // An earlier question is not material (quoting it back would echo the user).
      return { material: request.material, delimited: request.delimited };
    }
    case "assistant": {
      const material: ContextPart[] = [];
      let delimited = false;
      for (const part of message.content) {
        if (part.type === "text") material.push({ text: part.text.replace(CITATION_MARK, ""), source: "message" });
        else if (part.type === "tool-result") {
          material.push({ text: toolOutputText(part.output), source: "message" });
          delimited = true;
        }
      }
      return { material, delimited };
    }
    case "tool":
      return {
        material: message.content.flatMap((part) => (part.type === "tool-result" ? [{ text: toolOutputText(part.output), source: "message" as const }] : [])),
        delimited: true,
      };
  }
}

function allTexts(message: LanguageModelV3Message): string[] {
  switch (message.role) {
    case "system":
      return [message.content];
    case "user":
      return message.content.flatMap((part) => (part.type === "text" ? [part.text] : []));
    case "assistant":
      return message.content.flatMap((part) => {
        if (part.type === "text" || part.type === "reasoning") return [part.text];
        if (part.type === "tool-call") return [JSON.stringify(part.input) ?? ""];
        if (part.type === "tool-result") return [toolOutputText(part.output)];
        return [];
      });
    case "tool":
      return message.content.flatMap((part) => (part.type === "tool-result" ? [toolOutputText(part.output)] : []));
  }
}

export function parsePrompt(prompt: LanguageModelV3Prompt): ParsedPrompt {
  let lastUser = -1;
  prompt.forEach((message, i) => {
    if (message.role === "user") lastUser = i;
  });
  const budget = { lookups: MAX_TAG_LOOKUPS };
  const context: ContextPart[] = [];
  const allText: string[] = [];
  let question = "";
  let inline: ContextPart[] = [];
  let delimited = false;
  prompt.forEach((message, i) => {
    allText.push(...allTexts(message));
    if (i === lastUser && message.role === "user") {
      const request = readRequest(
        message.content.flatMap((part) => (part.type === "text" ? [part.text] : [])),
        budget,
      );
      question = request.question;
      inline = request.material;
      delimited ||= request.delimited;
    } else {
      const earlier = earlierMaterial(message, budget);
      context.push(...earlier.material);
      delimited ||= earlier.delimited;
    }
  });
  // Inline material comes last: it is the freshest the caller attached to the question.
  context.push(...inline);
  // A caller that set its material apart (quoted data, tool results) wrote the system prompt as
  // instructions, not as material to quote.
  return { question, context: delimited ? context.filter((part) => part.source !== "system") : context, allText };
}
