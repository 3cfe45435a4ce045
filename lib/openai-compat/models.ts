// Public model names are roles: callers never pick a provider's model id. KEEL_MODEL_ALIASES adds
// other names for them (./model-aliases.ts).
import type { LanguageRole, ModelRole } from "@/lib/ai/types";
import { modelAliases } from "./model-aliases";

export const publicModels: Record<string, ModelRole> = {
  "keel-chat": "chat",
  // The chat role, answering from the workspace's documents (lib/openai-compat/grounded-chat.ts).
  "keel-rag": "chat",
  "keel-analysis": "analysis",
  "keel-title": "title",
  "keel-embedding": "embedding",
};

// Own keys only: a name like "constructor" or "__proto__" must not find Object.prototype's members.
const lookup = (name: string): ModelRole | null => (Object.hasOwn(publicModels, name) ? publicModels[name]! : null);

export function roleForModel(name: string): ModelRole | null {
  const normalised = name.trim().toLowerCase();
  return lookup(normalised) ?? lookup(`keel-${normalised}`) ?? modelAliases().get(normalised) ?? null;
}

export function languageRoleForModel(name: string): LanguageRole | null {
  const role = roleForModel(name);
  return role && role !== "embedding" ? role : null;
}
