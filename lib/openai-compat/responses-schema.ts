// Request bodies of POST /api/v1/responses (OpenAI's Responses API), validated at the boundary:
// text or message input, function calls and their outputs as input items, function tools,
// `text.format` (text, json_object, json_schema), previous_response_id. Other tool and item types
// are refused with a clear message rather than ignored.
import { z } from "zod";
import { clientJsonSchema } from "./client-json-schema";

const functionName = z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/, "Use 1 to 64 letters, digits, underscores or dashes.");
const callId = z.string().min(1).max(256);

const inputText = z.object({ type: z.literal("input_text"), text: z.string() });
/** An assistant message replayed as input carries output_text (and maybe refusal) parts. */
const outputText = z.looseObject({ type: z.literal("output_text"), text: z.string() });
const refusal = z.looseObject({ type: z.literal("refusal"), refusal: z.string() });

const messageItem = z.looseObject({
  type: z.literal("message").optional(),
  role: z.enum(["user", "system", "developer", "assistant"]),
  content: z.union([z.string(), z.array(z.union([inputText, outputText, refusal], "Only text content is supported.")).max(1_000)]),
});

const functionCallItem = z.looseObject({
  type: z.literal("function_call"),
  call_id: callId,
  name: functionName,
  arguments: z.string(),
  id: z.string().max(256).optional(),
});

const functionCallOutputItem = z.looseObject({
  type: z.literal("function_call_output"),
  call_id: callId,
  output: z.union([z.string(), z.array(inputText).max(1_000)]),
});

const responseInputItemSchema = z.union(
  [functionCallItem, functionCallOutputItem, messageItem],
  "Input items may be messages, function_call or function_call_output.",
);
export type ResponseInputItem = z.infer<typeof responseInputItemSchema>;

const functionTool = z.object({
  type: z.literal("function", "Only function tools are supported."),
  name: functionName,
  description: z.string().max(10_000).nullish(),
  parameters: clientJsonSchema.nullish(),
  strict: z.boolean().nullish(),
});
export type ResponseFunctionTool = z.infer<typeof functionTool>;

const toolChoice = z.union([z.enum(["none", "auto", "required"]), z.object({ type: z.literal("function"), name: functionName })]);

const textFormat = z.discriminatedUnion("type", [
  z.object({ type: z.literal("text") }),
  z.object({ type: z.literal("json_object") }),
  z.object({
    type: z.literal("json_schema"),
    name: z.string().max(64),
    schema: clientJsonSchema,
    description: z.string().optional(),
    strict: z.boolean().nullish(),
  }),
]);

export const RESPONSE_ID = /^resp_[0-9a-f]{32}$/;

export const responseRequestSchema = z
  .looseObject({
    model: z.string().min(1),
    input: z.union([z.string(), z.array(responseInputItemSchema).min(1, "input must not be empty").max(1_000)]),
    instructions: z.string().nullish(),
    previous_response_id: z.string().max(256).nullish(),
    tools: z.array(functionTool).max(128).nullish(),
    tool_choice: toolChoice.nullish(),
    parallel_tool_calls: z.boolean().nullish(),
    text: z.looseObject({ format: textFormat.optional() }).nullish(),
    max_output_tokens: z.number().int().positive().max(128_000).nullish(),
    temperature: z.number().min(0).max(2).nullish(),
    top_p: z.number().min(0).max(1).nullish(),
    store: z.boolean().nullish(),
    stream: z.boolean().nullish(),
    metadata: z.record(z.string().max(64), z.string().max(512)).nullish(),
    user: z.string().max(256).optional(),
    background: z.literal(false, "Background responses are not supported.").nullish(),
  })
  .superRefine((body, ctx) => {
    const names = new Set<string>();
    body.tools?.forEach((tool, i) => {
      if (names.has(tool.name)) ctx.addIssue({ code: "custom", path: ["tools", i, "name"], message: `The tool name '${tool.name}' is used twice.` });
      names.add(tool.name);
    });
    const choice = body.tool_choice;
    if (choice === "required" && names.size === 0)
      ctx.addIssue({ code: "custom", path: ["tool_choice"], message: "'required' needs at least one tool in 'tools'." });
    if (typeof choice === "object" && choice && !names.has(choice.name))
      ctx.addIssue({ code: "custom", path: ["tool_choice"], message: `The tool '${choice.name}' is not among the tools.` });
    if (body.metadata && Object.keys(body.metadata).length > 16) ctx.addIssue({ code: "custom", path: ["metadata"], message: "At most 16 metadata keys." });
  });
export type ResponseRequest = z.infer<typeof responseRequestSchema>;
