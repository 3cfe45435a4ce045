// Public model names are roles: callers never pick a provider's model id.
import type { LanguageRole, ModelRole } from "@/lib/ai/types";

export const publicModels: Record<string, ModelRole> = {
  "keel-chat": "chat",
  "keel-analysis": "analysis",
  "keel-title": "title",
  "keel-embedding": "embedding",
};

export function roleForModel(name: string): ModelRole | null {
  const normalised = name.trim().toLowerCase();
  return publicModels[normalised] ?? publicModels[`keel-${normalised}`] ?? null;
}

export function languageRoleForModel(name: string): LanguageRole | null {
  const role = roleForModel(name);
  return role && role !== "embedding" ? role : null;
}
