// Text as it is stored and chunked: storable in PostgreSQL (the one shared rule, lib/text), with
// line endings, whitespace runs and blank-line runs normalised.
import { storableText } from "@/lib/text/storable";

export function cleanText(raw: string): string {
  return storableText(raw)
    .replace(/\r\n?/g, "\n")
    .replace(/[\t\f\v\u00A0]+/g, " ")
    .replace(/[ ]+\n/g, "\n")
    .replace(/\n{3,}/g, "\n\n")
    .trim();
}
