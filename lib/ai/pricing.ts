// USD per million tokens, which is the same number as micro-USD per token. Kept in memory;
// KEEL_PRICING (JSON: {"model": {"input": 0.4, "output": 1.6}}) overrides or adds entries.
import { z } from "zod";

export interface ModelPrice {
  input: number;
  output: number;
  /** Input price through the provider's batch API; absent: BATCH_DISCOUNT of `input`. */
  batchInput?: number;
}

/** What batch APIs typically charge against the online price (OpenAI's Batch API: 50%). */
const BATCH_DISCOUNT = 0.5;
export type PricingTable = Readonly<Record<string, ModelPrice>>;

const defaultPricing: PricingTable = {
  "gpt-4.1": { input: 2, output: 8 },
  "gpt-4.1-mini": { input: 0.4, output: 1.6 },
  "gpt-4.1-nano": { input: 0.1, output: 0.4 },
  "text-embedding-3-small": { input: 0.02, output: 0, batchInput: 0.01 },
  "text-embedding-3-large": { input: 0.13, output: 0, batchInput: 0.065 },
  "gemini-2.5-pro": { input: 1.25, output: 10 },
  "gemini-2.5-flash": { input: 0.3, output: 2.5 },
  "gemini-2.5-flash-lite": { input: 0.1, output: 0.4 },
  "gemini-embedding-001": { input: 0.15, output: 0 },
};

const overrideSchema = z.record(z.string(), z.object({ input: z.number().min(0), output: z.number().min(0), batchInput: z.number().min(0).optional() }));

export function pricingFromEnv(raw: string | undefined): PricingTable {
  if (!raw?.trim()) return defaultPricing;
  const parsed = overrideSchema.safeParse(JSON.parse(raw));
  if (!parsed.success) throw new Error(`KEEL_PRICING is not valid: ${parsed.error.issues[0]?.message ?? "bad shape"}`);
  return { ...defaultPricing, ...parsed.data };
}

/** Unknown models cost nothing rather than blocking calls; the offline model is free. */
export function priceOf(pricing: PricingTable, model: string): ModelPrice {
  return pricing[model] ?? { input: 0, output: 0 };
}

export function costMicroUsd(pricing: PricingTable, model: string, usage: { inputTokens: number; outputTokens: number }): number {
  const price = priceOf(pricing, model);
  return Math.ceil(usage.inputTokens * price.input + usage.outputTokens * price.output);
}

/** Micro-USD per input token through the provider's batch API. */
function batchInputPrice(pricing: PricingTable, model: string): number {
  const price = priceOf(pricing, model);
  return price.batchInput ?? price.input * BATCH_DISCOUNT;
}

/** Embedding tokens billed at the batch price. */
export function batchCostMicroUsd(pricing: PricingTable, model: string, inputTokens: number): number {
  return Math.ceil(inputTokens * batchInputPrice(pricing, model));
}
