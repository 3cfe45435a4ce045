// The offline model's answer to a tool choice that demands a call ("required" or a named tool):
// one call to the best-matching tool, with arguments built from the prompt to fit its schema.
// With "auto" or "none" it answers in text, as a cautious model would.
import { createHash } from "node:crypto";
import { APICallError, type LanguageModelV3CallOptions, type LanguageModelV3FunctionTool, type LanguageModelV3ToolCall } from "@ai-sdk/provider";
import { Corpus } from "./corpus";
import { structuredAnswer } from "./json-schema-value";
import type { ParsedPrompt } from "./prompt";
import { queryTerms, splitIdentifier } from "./text";

export function offlineToolCall(options: LanguageModelV3CallOptions, parsed: ParsedPrompt): LanguageModelV3ToolCall | null {
  const choice = options.toolChoice;
  if (choice?.type !== "required" && choice?.type !== "tool") return null;
  const tools = (options.tools ?? []).filter((tool): tool is LanguageModelV3FunctionTool => tool.type === "function");
  const tool = choice.type === "tool" ? tools.find((t) => t.name === choice.toolName) : bestTool(tools, parsed.question);
  if (!tool) {
    // What a provider answers to the same request: a 400 the gateway reports as invalid, not a fallback.
    throw new APICallError({
      message:
        choice.type === "tool" ? `Tool choice names "${choice.toolName}", which is not among the tools.` : "Tool choice is required but no tools were given.",
      url: "offline:",
      requestBodyValues: {},
      statusCode: 400,
      isRetryable: false,
    });
  }
  // The question usually holds the arguments ("weather in Paris"), so it joins the context here.
  const corpus = new Corpus([...parsed.context, { text: parsed.question, source: "message", request: true }]);
  const input = structuredAnswer(corpus, parsed.question, tool.inputSchema);
  // Deterministic like everything offline, and distinct per prompt (each step of a loop adds to it).
  const digest = createHash("sha256")
    .update(JSON.stringify([options.prompt, tool.name]))
    .digest("hex");
  return { type: "tool-call", toolCallId: `call_offline_${digest.slice(0, 24)}`, toolName: tool.name, input };
}

/** The tool whose name and description share the most terms with the question; the first on a tie. */
function bestTool(tools: LanguageModelV3FunctionTool[], question: string): LanguageModelV3FunctionTool | undefined {
  const asked = queryTerms(question);
  let best: { tool: LanguageModelV3FunctionTool; score: number } | undefined;
  for (const tool of tools) {
    const terms = queryTerms(`${splitIdentifier(tool.name)} ${tool.description ?? ""}`);
    const score = [...terms].filter((term) => asked.has(term)).length;
    if (!best || score > best.score) best = { tool, score };
  }
  return best?.tool;
}
