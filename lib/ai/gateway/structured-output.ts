// Stage 6: structured outputs. A zod-validated object; invalid output gets one repair attempt
// that carries the validation error, then a clear failure. The outcome (pass / repaired / failed)
// is metered per call and feeds the quality counts.
import { randomUUID } from "node:crypto";
import type { LanguageModelV3CallOptions, LanguageModelV3Prompt } from "@ai-sdk/provider";
import { z } from "zod";
import type { ValidationOutcome } from "@/db/schema";
import { GatewayError } from "../errors";
import type { CallContext } from "../types";
import { generateCompletion } from "./generate";
import type { CompletionResult, GatewayRuntime, GenerateRequest } from "./types";

export type ObjectRequest<T> = Omit<GenerateRequest, "responseFormat"> & { schema: z.ZodType<T>; schemaName?: string };

export async function generateValidatedObject<T>(
  rt: GatewayRuntime,
  ctx: CallContext,
  request: ObjectRequest<T>,
): Promise<{ object: T; result: CompletionResult; validation: ValidationOutcome }> {
  const jsonSchema = z.toJSONSchema(request.schema) as NonNullable<Extract<LanguageModelV3CallOptions["responseFormat"], { type: "json" }>["schema"]>;
  const responseFormat = { type: "json" as const, schema: jsonSchema, name: request.schemaName };
  const requestId = ctx.requestId ?? randomUUID();
  const parse = (text: string) => request.schema.safeParse(parseJsonLoosely(text));
  const isValid = (text: string) => parse(text).success;
  const first = await generateCompletion(rt, { ...ctx, requestId }, { ...request, responseFormat }, { check: isValid, ok: "pass", bad: null });
  const firstParse = parse(first.text);
  if (firstParse.success) return { object: firstParse.data, result: first, validation: "pass" };

  const problems = firstParse.error.issues
    .slice(0, 10)
    .map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`)
    .join("; ");
  const repairPrompt: LanguageModelV3Prompt = [
    ...request.prompt,
    { role: "assistant", content: [{ type: "text", text: first.text }] },
    {
      role: "user",
      content: [{ type: "text", text: `That answer does not match the required JSON schema (${problems}). Reply with corrected JSON only, nothing else.` }],
    },
  ];
  const repaired = await generateCompletion(
    rt,
    { ...ctx, requestId: `${requestId}:repair`, cache: { ...ctx.cache, noCache: true } },
    { ...request, prompt: repairPrompt, responseFormat },
    { check: isValid, ok: "repaired", bad: "failed" },
  );
  const secondParse = parse(repaired.text);
  if (secondParse.success) return { object: secondParse.data, result: repaired, validation: "repaired" };
  throw new GatewayError("output_invalid", `The model's answer did not match the expected structure, even after one repair attempt: ${problems}`);
}

/** Models sometimes wrap JSON in a code fence; untrusted either way, so parse failures yield undefined. */
function parseJsonLoosely(text: string): unknown {
  const fenced = /```(?:json)?\s*([\s\S]*?)```/.exec(text);
  try {
    return JSON.parse((fenced?.[1] ?? text).trim());
  } catch {
    return undefined;
  }
}
