// KEEL_MODEL_ALIASES: other names for Keel's roles, so an off-the-shelf client that asks for
// `gpt-4o-mini` or `text-embedding-3-small` works unchanged. JSON, alias → role ("chat",
// "analysis", "title", "embedding", or the public name "keel-chat"…). Aliases are matched as the
// public names are: trimmed, case-insensitive. A malformed value is an error, not a silent default.
import { z } from "zod";
import type { ModelRole } from "@/lib/ai/types";

const roles = ["chat", "analysis", "title", "embedding"] as const satisfies readonly ModelRole[];

const aliasesSchema = z.record(
  z.string().trim().min(1).max(256),
  z
    .string()
    .trim()
    .toLowerCase()
    .transform((role) => role.replace(/^keel-/, ""))
    .pipe(z.enum(roles, "Each alias must name a Keel role: chat, analysis, title or embedding.")),
);

let parsed: { source: string | undefined; aliases: Map<string, ModelRole> } | null = null;

/** The aliases in force (parsed once per value of the variable). */
export function modelAliases(env: Record<string, string | undefined> = process.env): Map<string, ModelRole> {
  const source = env.KEEL_MODEL_ALIASES;
  if (parsed && parsed.source === source) return parsed.aliases;
  const aliases = new Map<string, ModelRole>();
  if (source?.trim()) {
    let json: unknown;
    try {
      json = JSON.parse(source);
    } catch {
      throw new Error('KEEL_MODEL_ALIASES must be JSON, e.g. {"gpt-4o-mini": "chat"}');
    }
    const result = aliasesSchema.safeParse(json);
    if (!result.success) throw new Error(`KEEL_MODEL_ALIASES: ${result.error.issues[0]?.message ?? "invalid"}`);
    for (const [alias, role] of Object.entries(result.data)) aliases.set(alias.toLowerCase(), role);
  }
  parsed = { source, aliases };
  return aliases;
}
