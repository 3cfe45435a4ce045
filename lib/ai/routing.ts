// Which models serve a role for a tenant's tier: configuration, not code. Call sites never name
// a model; they name a role, and this table (overridable with KEEL_ROUTES) picks the chain.
import { z } from "zod";
import { planTiers } from "@/db/schema";
import { providerNames, type ModelRole, type ModelTarget, type ProviderName, type Tier } from "./types";

interface RoleRoutes {
  /** Fallback chain per tier; `default` serves tiers without their own entry. */
  tiers: Partial<Record<Tier | "default", ModelTarget[]>>;
  /**
   * Stronger or longer-context chains for large requests, per tier. A tier escalates only to the
   * chain listed under its own name: there is no `default` here, so a tier left out (free, by
   * default) keeps its own chain however long the request, and never reaches paid-tier models.
   */
  long?: { minInputTokens: number; tiers: Partial<Record<Tier, ModelTarget[]>> };
}
export type RouteTable = Record<ModelRole, RoleRoutes>;

const t = (provider: ProviderName, model: string): ModelTarget => ({ provider, model });

const longChat = [t("google", "gemini-2.5-pro"), t("openai", "gpt-4.1"), t("compatible", "*")];

/** `compatible:*` is whatever model OPENAI_COMPATIBLE_MODEL names. */
export const defaultRoutes: RouteTable = {
  chat: {
    tiers: {
      free: [t("openai", "gpt-4.1-mini"), t("google", "gemini-2.5-flash-lite"), t("compatible", "*")],
      default: [t("openai", "gpt-4.1"), t("google", "gemini-2.5-flash"), t("compatible", "*")],
    },
    // The free chain's models already take a million tokens of context: free requests stay on it.
    long: { minInputTokens: 32_000, tiers: { pro: longChat, enterprise: longChat } },
  },
  analysis: {
    tiers: {
      free: [t("openai", "gpt-4.1-mini"), t("google", "gemini-2.5-flash"), t("compatible", "*")],
      default: [t("openai", "gpt-4.1"), t("google", "gemini-2.5-pro"), t("compatible", "*")],
    },
  },
  title: { tiers: { default: [t("openai", "gpt-4.1-nano"), t("google", "gemini-2.5-flash-lite"), t("compatible", "*")] } },
  // No cross-provider fallback for embeddings: vectors from two models do not share a space.
  embedding: { tiers: { default: [t("openai", "text-embedding-3-small"), t("google", "gemini-embedding-001"), t("compatible", "*")] } },
};

const offlineTargets = {
  language: t("offline", "keel-offline-extractive"),
  embedding: t("offline", "keel-offline-hash-384"),
} as const;

const targetSchema = z.object({ provider: z.enum(providerNames), model: z.string().min(1) });
const roleRoutesSchema = z.object({
  tiers: z.partialRecord(z.enum([...planTiers, "default"]), z.array(targetSchema).min(1)),
  long: z
    .strictObject({
      minInputTokens: z.number().int().positive(),
      tiers: z.partialRecord(z.enum(planTiers), z.array(targetSchema).min(1), {
        error: 'give long requests a chain per plan tier, e.g. "tiers": {"pro": [...]}; tiers not listed do not escalate',
      }),
    })
    .optional(),
});
const routeOverrideSchema = z.partialRecord(z.enum(["chat", "analysis", "title", "embedding"]), roleRoutesSchema);

export function routesFromEnv(raw: string | undefined): RouteTable {
  if (!raw?.trim()) return defaultRoutes;
  const parsed = routeOverrideSchema.safeParse(JSON.parse(raw));
  const issue = parsed.error?.issues[0];
  if (!parsed.success) throw new Error(`KEEL_ROUTES is not valid: ${issue ? `${issue.path.join(".")}: ${issue.message}` : "bad shape"}`);
  return { ...defaultRoutes, ...parsed.data };
}

export interface ChainInput {
  role: ModelRole;
  tier: Tier;
  estimatedInputTokens: number;
  /** Configured providers in preference order (never "offline"). */
  providers: readonly ProviderName[];
  compatibleModels: { language?: string; embedding?: string };
}

/**
 * The ordered fallback chain. With no provider configured at all, the offline model; with
 * providers configured, never the offline model (an empty chain is an explicit error upstream).
 */
export function resolveChain(routes: RouteTable, input: ChainInput): ModelTarget[] {
  if (input.providers.length === 0) return [input.role === "embedding" ? offlineTargets.embedding : offlineTargets.language];
  const roleRoutes = routes[input.role];
  const long = roleRoutes.long && input.estimatedInputTokens >= roleRoutes.long.minInputTokens ? roleRoutes.long.tiers[input.tier] : undefined;
  const base = long ?? roleRoutes.tiers[input.tier] ?? roleRoutes.tiers.default ?? [];
  const preference = (p: ProviderName) => input.providers.indexOf(p);
  const compatibleModel = input.role === "embedding" ? input.compatibleModels.embedding : input.compatibleModels.language;
  return base
    .filter((target) => preference(target.provider) >= 0)
    .map((target) => (target.provider === "compatible" && target.model === "*" ? { ...target, model: compatibleModel ?? "" } : target))
    .filter((target) => target.model !== "")
    .sort((a, b) => preference(a.provider) - preference(b.provider));
}
