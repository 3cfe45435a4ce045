// Text as it is stored and chunked: storable in PostgreSQL (the one shared rule, lib/text), with no
// invisible or direction-changing characters, and line endings, whitespace runs and blank-line
// runs normalised. The original file keeps everything: this is only what passages are made of.
// Every step is one linear pass (no pattern here can backtrack).
import { storableText } from "@/lib/text/storable";

/**
 * Characters that change nothing a reader sees but can hide or reorder text: zero-width spaces
 * and joiners, the word joiner and invisible operators, byte-order marks (U+FEFF, also stray
 * ones from UTF-16 files), bidirectional marks, embeddings, overrides and isolates, the soft
 * hyphen, the Mongolian vowel separator, and Unicode tag characters (used to smuggle hidden
 * instructions to models).
 */
const INVISIBLE = /[\u00AD\u061C\u180E\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF]|\uDB40[\uDC00-\uDC7F]/g;

/** Horizontal whitespace runs longer than this become one space (indentation survives, padding does not). */
const MAX_SPACE_RUN = 64;
const LONG_SPACE_RUN = new RegExp(` {${MAX_SPACE_RUN + 1},}`, "g");

function removeInvisible(text: string): string {
  return text.replace(INVISIBLE, "");
}

function cleanLine(line: string): string {
  const spaced = line.replace(/[\t\f\v\u00A0]/g, " ").trimEnd();
  return spaced.length > MAX_SPACE_RUN ? spaced.replace(LONG_SPACE_RUN, " ") : spaced;
}

export function cleanText(raw: string): string {
  const lines = removeInvisible(storableText(raw)).replace(/\r\n?/g, "\n").split("\n").map(cleanLine);
  return lines
    .join("\n")
    .replace(/\n{3,}/g, "\n\n")
    .trim();
}
