// A Responses API request as a gateway request: instructions as the system message, then the
// stored conversation (previous_response_id), then this request's input items; function calls and
// their outputs become the AI SDK's tool calls and results; `text.format` the response format.
import type { JSONSchema7, LanguageModelV3FunctionTool, LanguageModelV3Message, LanguageModelV3Prompt, LanguageModelV3ToolChoice } from "@ai-sdk/provider";
import type { GenerateRequest } from "@/lib/ai/gateway";
import type { LanguageRole } from "@/lib/ai/types";
import type { ResponseFunctionTool, ResponseInputItem, ResponseRequest } from "./responses-schema";

type AssistantContent = Extract<LanguageModelV3Message, { role: "assistant" }>["content"];
type ToolResultPart = Extract<Extract<LanguageModelV3Message, { role: "tool" }>["content"][number], { type: "tool-result" }>;

/** A string input is one user message. */
export function inputItemsOf(input: ResponseRequest["input"]): ResponseInputItem[] {
  return typeof input === "string" ? [{ type: "message", role: "user", content: input }] : input;
}

function textOf(content: string | Array<{ type: string; text?: string; refusal?: string }>): string {
  return typeof content === "string" ? content : content.map((part) => part.text ?? "").join("");
}

/** Arguments are the model's own text echoed back: usually JSON, passed on as text when not. */
function parseArguments(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** The prompt, or the problem (a function output answering no call) in words for the client. */
export function toPrompt(instructions: string | null | undefined, items: ResponseInputItem[]): { prompt: LanguageModelV3Prompt } | { problem: string } {
  const prompt: LanguageModelV3Prompt = instructions ? [{ role: "system", content: instructions }] : [];
  const callNames = new Map<string, string>();
  /** The assistant turn being built: its text and then its calls, as one message. */
  const assistant = (): AssistantContent => {
    const last = prompt.at(-1);
    if (last?.role === "assistant") return last.content;
    const content: AssistantContent = [];
    prompt.push({ role: "assistant", content });
    return content;
  };
  for (const item of items) {
    if (item.type === "function_call") {
      callNames.set(item.call_id, item.name);
      assistant().push({ type: "tool-call", toolCallId: item.call_id, toolName: item.name, input: parseArguments(item.arguments) });
      continue;
    }
    if (item.type === "function_call_output") {
      const toolName = callNames.get(item.call_id);
      if (!toolName) return { problem: `No function_call with call_id '${item.call_id}' precedes its function_call_output.` };
      const result: ToolResultPart = { type: "tool-result", toolCallId: item.call_id, toolName, output: { type: "text", value: textOf(item.output) } };
      const last = prompt.at(-1);
      if (last?.role === "tool") last.content.push(result);
      else prompt.push({ role: "tool", content: [result] });
      continue;
    }
    const text = textOf(item.content);
    if (item.role === "assistant") assistant().push({ type: "text", text });
    else if (item.role === "user") prompt.push({ role: "user", content: [{ type: "text", text }] });
    else prompt.push({ role: "system", content: text });
  }
  return { prompt };
}

function toTool(tool: ResponseFunctionTool): LanguageModelV3FunctionTool {
  return {
    type: "function",
    name: tool.name,
    description: tool.description ?? undefined,
    inputSchema: (tool.parameters ?? { type: "object", properties: {} }) as JSONSchema7,
    ...(typeof tool.strict === "boolean" ? { strict: tool.strict } : {}),
  };
}

function toToolChoice(choice: ResponseRequest["tool_choice"]): LanguageModelV3ToolChoice | undefined {
  if (!choice) return undefined;
  return typeof choice === "object" ? { type: "tool", toolName: choice.name } : { type: choice };
}

export function toGenerateRequest(body: ResponseRequest, role: LanguageRole, prompt: LanguageModelV3Prompt): GenerateRequest {
  const format = body.text?.format;
  const tools = (body.tools ?? []).map(toTool);
  return {
    role,
    prompt,
    maxOutputTokens: body.max_output_tokens ?? undefined,
    temperature: body.temperature ?? undefined,
    topP: body.top_p ?? undefined,
    responseFormat:
      format?.type === "json_object"
        ? { type: "json" }
        : format?.type === "json_schema"
          ? { type: "json", name: format.name, description: format.description, schema: format.schema as JSONSchema7 }
          : undefined,
    ...(tools.length > 0 ? { tools, toolChoice: toToolChoice(body.tool_choice), parallelToolCalls: body.parallel_tool_calls ?? undefined } : {}),
  };
}
