// A model's analysis is untrusted output: its strings must not carry the prompt's own markup (a
// model that echoes `<document>` gets one repair, then fails), and its entities must be names the
// analysed text contains (a name the text never mentions is invented, not extracted).
import { z } from "zod";

/** The markup analysis prompts put around the document (and its escaped closing form). */
const SCAFFOLDING = /<\s*(?:\/\s*)?document\s*>/i;

const hasNoScaffolding = (text: string): boolean => !SCAFFOLDING.test(text);

/**
 * A string field of an analysis: trimmed, bounded, and free of the prompt's markup, unless the
 * material itself contains such text (a document about markup may be quoted).
 */
export const analysisText = (max: number, material: string) => {
  const text = z.string().trim().min(1).max(max);
  return hasNoScaffolding(material) ? text.refine(hasNoScaffolding, "must not contain the prompt's <document> markup: give the document's content") : text;
};

const normalize = (text: string) => text.normalize("NFKC").toLowerCase().replace(/\s+/g, " ").trim();

/** The entities the material names, each once (first spelling kept). */
export function groundedEntities<T extends { name: string }>(entities: readonly T[], material: string): T[] {
  const haystack = normalize(material);
  const seen = new Set<string>();
  const kept: T[] = [];
  for (const entity of entities) {
    const key = normalize(entity.name);
    if (!key || seen.has(key) || !haystack.includes(key)) continue;
    seen.add(key);
    kept.push(entity);
  }
  return kept;
}

/** Key points without repeats. */
export function distinctPoints(points: readonly string[]): string[] {
  const seen = new Set<string>();
  return points.filter((point) => {
    const key = normalize(point);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
