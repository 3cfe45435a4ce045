// Request bodies of the OpenAI-compatible endpoints, validated at the boundary.
import { z } from "zod";
import { clientJsonSchema } from "./client-json-schema";

const textPart = z.object({ type: z.literal("text"), text: z.string() });
const textContent = z.union([z.string(), z.array(textPart)]);
const name = z.string().max(256).optional();

const functionName = z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/, "Use 1 to 64 letters, digits, underscores or dashes.");

const toolCallSchema = z.object({
  id: z.string().min(1).max(256),
  type: z.literal("function"),
  function: z.object({ name: functionName, arguments: z.string() }),
});

const chatMessageSchema = z.discriminatedUnion("role", [
  z.object({ role: z.literal("system"), content: textContent, name }),
  z.object({ role: z.literal("developer"), content: textContent, name }),
  z.object({ role: z.literal("user"), content: textContent, name }),
  z.object({
    role: z.literal("assistant"),
    // Null when the assistant only called tools; refusal parts carry no text worth replaying.
    content: z.union([z.string(), z.array(z.union([textPart, z.object({ type: z.literal("refusal"), refusal: z.string() })]))]).nullish(),
    refusal: z.string().nullish(),
    tool_calls: z.array(toolCallSchema).max(128).optional(),
    name,
  }),
  z.object({ role: z.literal("tool"), content: textContent, tool_call_id: z.string().min(1).max(256) }),
]);
export type ChatMessage = z.infer<typeof chatMessageSchema>;

const toolSchema = z.object({
  type: z.literal("function", "Only function tools are supported."),
  function: z.object({
    name: functionName,
    description: z.string().max(10_000).optional(),
    /** A JSON Schema for the arguments; omitted means a function without parameters. */
    parameters: clientJsonSchema.optional(),
    strict: z.boolean().nullish(),
  }),
});
export type ChatTool = z.infer<typeof toolSchema>;

const toolChoiceSchema = z.union([z.enum(["none", "auto", "required"]), z.object({ type: z.literal("function"), function: z.object({ name: functionName }) })]);
export type ChatToolChoice = z.infer<typeof toolChoiceSchema>;

const responseFormatSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("text") }),
  z.object({ type: z.literal("json_object") }),
  z.object({
    type: z.literal("json_schema"),
    json_schema: z.object({
      name: z.string().max(64),
      description: z.string().optional(),
      schema: clientJsonSchema.optional(),
      strict: z.boolean().nullish(),
    }),
  }),
]);

const MAX_CHOICES = 8;

export const chatCompletionRequestSchema = z
  .looseObject({
    model: z.string().min(1),
    messages: z.array(chatMessageSchema).min(1, "messages must not be empty").max(1_000),
    stream: z.boolean().nullish(),
    stream_options: z.object({ include_usage: z.boolean().optional() }).nullish(),
    max_tokens: z.number().int().positive().max(128_000).nullish(),
    max_completion_tokens: z.number().int().positive().max(128_000).nullish(),
    temperature: z.number().min(0).max(2).nullish(),
    top_p: z.number().min(0).max(1).nullish(),
    stop: z.union([z.string(), z.array(z.string()).max(4)]).nullish(),
    response_format: responseFormatSchema.nullish(),
    /** Choices: n independent calls (bounded: each is a provider call). */
    n: z.number().int().min(1).max(MAX_CHOICES, `At most ${MAX_CHOICES} choices.`).nullish(),
    user: z.string().max(256).optional(),
    tools: z.array(toolSchema).max(128).nullish(),
    tool_choice: toolChoiceSchema.nullish(),
    parallel_tool_calls: z.boolean().nullish(),
    // The deprecated function-calling fields: declared so they can be refused with a clear message.
    functions: z.array(z.unknown()).nullish(),
    function_call: z.unknown().optional(),
  })
  .superRefine(checkToolReferences);
export type ChatCompletionRequest = z.infer<typeof chatCompletionRequestSchema>;

/** What OpenAI checks across fields: unique tool names, a tool choice that names a given tool, tool results that answer a call. */
function checkToolReferences(body: { messages: ChatMessage[]; tools?: ChatTool[] | null; tool_choice?: ChatToolChoice | null }, ctx: z.RefinementCtx): void {
  const toolNames = new Set<string>();
  body.tools?.forEach((tool, i) => {
    if (toolNames.has(tool.function.name))
      ctx.addIssue({ code: "custom", path: ["tools", i, "function", "name"], message: `The tool name '${tool.function.name}' is used twice.` });
    toolNames.add(tool.function.name);
  });
  const choice = body.tool_choice;
  if (choice === "required" && toolNames.size === 0)
    ctx.addIssue({ code: "custom", path: ["tool_choice"], message: "'required' needs at least one tool in 'tools'." });
  if (typeof choice === "object" && choice && !toolNames.has(choice.function.name))
    ctx.addIssue({ code: "custom", path: ["tool_choice"], message: `The tool '${choice.function.name}' is not among the tools.` });
  const calls = new Set<string>();
  body.messages.forEach((message, i) => {
    if (message.role === "assistant") for (const call of message.tool_calls ?? []) calls.add(call.id);
    if (message.role === "tool" && !calls.has(message.tool_call_id))
      ctx.addIssue({
        code: "custom",
        path: ["messages", i, "tool_call_id"],
        message: "A 'tool' message must answer a tool call made by an earlier assistant message.",
      });
  });
}

export const embeddingRequestSchema = z.looseObject({
  model: z.string().min(1),
  input: z.union([z.string(), z.array(z.string()).min(1).max(2_048)]),
  encoding_format: z.enum(["float", "base64"]).nullish(),
  dimensions: z.number().int().positive().nullish(),
  user: z.string().max(256).optional(),
});

/** The first issue, phrased for a developer reading an API error. */
export function describeIssue(error: z.ZodError): { message: string; param: string | null } {
  const issue = error.issues[0];
  if (!issue) return { message: "Invalid request.", param: null };
  const param = issue.path.length > 0 ? issue.path.join(".") : null;
  return { message: param ? `Invalid '${param}': ${issue.message}` : issue.message, param };
}
