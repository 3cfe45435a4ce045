// Stage 6: structured outputs, with the AI SDK's own `generateObject` on the gateway's model. The
// SDK asks for JSON with the schema and validates the answer with zod; its repair hook gives an
// invalid answer one repair attempt through the model, carrying the validation error; after that
// the call fails clearly. The outcome (pass / repaired / failed) is metered per model call and
// feeds the quality counts: each call's model is told how to judge its answer before it is metered.
import { randomUUID } from "node:crypto";
import { generateObject, generateText, NoObjectGeneratedError, Output, type RepairTextFunction } from "ai";
import type { z } from "zod";
import type { ValidationOutcome } from "@/db/schema";
import { GatewayError } from "../errors";
import type { CallContext, LanguageRole } from "../types";
import { readKeelMetadata, type KeelAnswerMetadata } from "./answer-metadata";
import type { ValidationCheck } from "./generate";
import { GatewayLanguageModel, type GatewayCalls } from "./language-model";

export interface ObjectRequest<T> {
  schema: z.ZodType<T>;
  /** Names the schema to providers that take a name (OpenAI's json_schema). */
  schemaName?: string;
  system?: string;
  prompt: string;
}

export interface ObjectResult<T> {
  object: T;
  validation: Exclude<ValidationOutcome, "failed">;
  /** Who answered the call whose answer was kept (the repair, when there was one). */
  metadata: KeelAnswerMetadata | null;
}

/**
 * A zod-validated object from the model behind `role`. Throws the gateway's `output_invalid`
 * error when the answer and its one repair both fail validation.
 */
export async function generateValidatedObject<T>(
  gateway: GatewayCalls,
  ctx: CallContext,
  role: LanguageRole,
  request: ObjectRequest<T>,
): Promise<ObjectResult<T>> {
  const requestId = ctx.requestId ?? randomUUID();
  // The meter judges with the same schema, leniently about code fences (the repair hook strips them).
  const conforms = (text: string) => request.schema.safeParse(parseJsonLoosely(text)).success;
  const model = (callCtx: CallContext, validation: ValidationCheck) => new GatewayLanguageModel(gateway, callCtx, role, validation);
  let validation: ObjectResult<T>["validation"] = "pass";
  let problems = "";
  let repairMetadata: KeelAnswerMetadata | null = null;

  const repair: RepairTextFunction = async ({ text }) => {
    const json = unfenced(text);
    if (conforms(json)) return json; // only wrapped in a fence: no second call needed
    validation = "repaired";
    problems = describeProblems(request.schema, text);
    const repairCtx = { ...ctx, requestId: `${requestId}:repair`, cache: { ...ctx.cache, noCache: true } };
    try {
      const repaired = await generateText({
        model: model(repairCtx, { check: conforms, ok: "repaired", bad: "failed" }),
        system: request.system,
        messages: [
          { role: "user", content: request.prompt },
          { role: "assistant", content: text },
          { role: "user", content: `That answer does not match the required JSON schema (${problems}). Reply with corrected JSON only, nothing else.` },
        ],
        output: Output.object({ schema: request.schema, name: request.schemaName }),
        maxRetries: 0,
      });
      repairMetadata = readKeelMetadata(repaired.providerMetadata);
      return repaired.text;
    } catch (error) {
      // An answer that is still invalid goes back to generateObject, which refuses it below.
      if (NoObjectGeneratedError.isInstance(error) && error.text !== undefined) return unfenced(error.text);
      throw error;
    }
  };

  try {
    const result = await generateObject({
      model: model({ ...ctx, requestId }, { check: conforms, ok: "pass", bad: null }),
      output: "object",
      schema: request.schema,
      schemaName: request.schemaName,
      system: request.system,
      prompt: request.prompt,
      maxRetries: 0, // the gateway retries and falls back itself
      experimental_repairText: repair,
    });
    return { object: result.object, validation, metadata: repairMetadata ?? readKeelMetadata(result.providerMetadata) };
  } catch (error) {
    if (!NoObjectGeneratedError.isInstance(error)) throw error;
    throw new GatewayError(
      "output_invalid",
      `The model's answer did not match the expected structure, even after one repair attempt: ${problems || describeProblems(request.schema, error.text ?? "")}`,
      { cause: error },
    );
  }
}

/** The first ten validation problems, as the repair prompt and the final error quote them. */
function describeProblems(schema: z.ZodType, text: string): string {
  const parsed = schema.safeParse(parseJsonLoosely(text));
  if (parsed.success) return "";
  return parsed.error.issues
    .slice(0, 10)
    .map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`)
    .join("; ");
}

/** Models sometimes wrap JSON in a code fence. */
function unfenced(text: string): string {
  const fenced = /```(?:json)?\s*([\s\S]*?)```/.exec(text);
  return (fenced?.[1] ?? text).trim();
}

/** Untrusted either way, so parse failures yield undefined. */
function parseJsonLoosely(text: string): unknown {
  try {
    return JSON.parse(unfenced(text));
  } catch {
    return undefined;
  }
}
