// A validated Chat Completions body as a gateway request: messages (with tool calls and tool
// results) as an AI SDK prompt, tools and tool choice as the SDK's own.
import type { JSONSchema7, LanguageModelV3FunctionTool, LanguageModelV3Message, LanguageModelV3Prompt, LanguageModelV3ToolChoice } from "@ai-sdk/provider";
import type { GenerateRequest } from "@/lib/ai/gateway";
import type { ChatCompletionRequest, ChatMessage, ChatTool, ChatToolChoice } from "./schemas";

type AssistantContent = Extract<LanguageModelV3Message, { role: "assistant" }>["content"];
type ToolResultPart = Extract<Extract<LanguageModelV3Message, { role: "tool" }>["content"][number], { type: "tool-result" }>;

const textOf = (content: string | Array<{ type: string; text?: string }>): string =>
  typeof content === "string" ? content : content.map((part) => part.text ?? "").join("");

/**
 * Arguments are the model's own text, echoed back by the client: usually JSON, but OpenAI does not
 * insist on it, so text that is not JSON is passed on as it is rather than refused.
 */
function parseArguments(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export function toPrompt(messages: ChatMessage[]): LanguageModelV3Prompt {
  const toolNames = new Map<string, string>();
  const prompt: LanguageModelV3Prompt = [];
  for (const message of messages) {
    switch (message.role) {
      case "system":
      case "developer":
        prompt.push({ role: "system", content: textOf(message.content) });
        break;
      case "user":
        prompt.push({ role: "user", content: [{ type: "text", text: textOf(message.content) }] });
        break;
      case "assistant": {
        const text = textOf(message.content ?? "");
        const calls = message.tool_calls ?? [];
        const content: AssistantContent = text || calls.length === 0 ? [{ type: "text", text }] : [];
        for (const call of calls) {
          toolNames.set(call.id, call.function.name);
          content.push({ type: "tool-call", toolCallId: call.id, toolName: call.function.name, input: parseArguments(call.function.arguments) });
        }
        prompt.push({ role: "assistant", content });
        break;
      }
      case "tool": {
        const result: ToolResultPart = {
          type: "tool-result",
          toolCallId: message.tool_call_id,
          // Validation made sure an earlier assistant message made this call.
          toolName: toolNames.get(message.tool_call_id) ?? "",
          output: { type: "text", value: textOf(message.content) },
        };
        // Results of one turn's calls travel together (Gemini wants as many results as calls in one turn).
        const last = prompt.at(-1);
        if (last?.role === "tool") last.content.push(result);
        else prompt.push({ role: "tool", content: [result] });
        break;
      }
    }
  }
  return prompt;
}

function toTool(tool: ChatTool): LanguageModelV3FunctionTool {
  const { name, description, parameters, strict } = tool.function;
  return {
    type: "function",
    name,
    description,
    // A JSON Schema from the client, checked by the provider (or filled in by the offline model).
    inputSchema: (parameters ?? { type: "object", properties: {} }) as JSONSchema7,
    ...(typeof strict === "boolean" ? { strict } : {}),
  };
}

function toToolChoice(choice: ChatToolChoice | null | undefined): LanguageModelV3ToolChoice | undefined {
  if (!choice) return undefined;
  if (typeof choice === "object") return { type: "tool", toolName: choice.function.name };
  return { type: choice };
}

export function toGenerateRequest(body: ChatCompletionRequest, role: GenerateRequest["role"]): GenerateRequest {
  const format = body.response_format;
  const tools = (body.tools ?? []).map(toTool);
  return {
    role,
    prompt: toPrompt(body.messages),
    maxOutputTokens: body.max_completion_tokens ?? body.max_tokens ?? undefined,
    temperature: body.temperature ?? undefined,
    topP: body.top_p ?? undefined,
    stopSequences: typeof body.stop === "string" ? [body.stop] : (body.stop ?? undefined),
    responseFormat:
      format?.type === "json_object"
        ? { type: "json" }
        : format?.type === "json_schema"
          ? { type: "json", name: format.json_schema.name, description: format.json_schema.description, schema: format.json_schema.schema as JSONSchema7 }
          : undefined,
    // Without tools a tool choice means nothing (validation refused "required" and named choices).
    ...(tools.length > 0 ? { tools, toolChoice: toToolChoice(body.tool_choice), parallelToolCalls: body.parallel_tool_calls ?? undefined } : {}),
  };
}
