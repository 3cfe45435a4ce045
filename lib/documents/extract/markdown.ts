// Markdown and plain text, split into sections at Markdown headings (ATX `#` headings, and setext
// underlines) so each chunk keeps its heading. Headings are read without backtracking patterns:
// a 32 KB heading line costs one pass over it.
import type { ExtractedDocument, TextSegment } from "./types";

const ATX_OPENING = /^ {0,3}#{1,6}(?:[ \t]|$)/;
const FENCE = /^[ \t]{0,3}(?:```|~~~)/;
const SETEXT_UNDERLINE = /^ {0,3}(?:=+|-+)[ \t]*$/;
const LIST_ITEM = /^[ \t]*[-*+][ \t]/;

/** The text of an ATX heading line ("## Title ##" → "Title"), or null when the line is not one. */
export function atxHeading(line: string): string | null {
  const opening = ATX_OPENING.exec(line);
  if (!opening) return null;
  let text = line.slice(opening[0].length).trim();
  // A closing run of #s counts only after a space ("# C#" keeps its #).
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) === 35) end--;
  if (end === 0) text = "";
  else if (end < text.length && (text[end - 1] === " " || text[end - 1] === "\t")) text = text.slice(0, end).trimEnd();
  return text || null;
}

// An inline data URI (an image pasted into a note) carries no text: megabytes of base64 would only
// become passages of noise. The link keeps its text; the URI goes. One pass, no backtracking.
const DATA_URI = /\]\(data:[^\s)]*\)/g;

export function extractMarkdown(text: string): ExtractedDocument {
  const lines = text.replace(DATA_URI, "]()").split(/\r?\n/);
  const segments: TextSegment[] = [];
  let heading: string | null = null;
  let buffer: string[] = [];
  let inFence = false;
  const flush = () => {
    const body = buffer.join("\n").trim();
    if (body) segments.push({ text: body, heading, page: null });
    buffer = [];
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (FENCE.test(line)) inFence = !inFence;
    const atx = inFence ? null : atxHeading(line);
    const setext = !inFence && atx === null && line.trim() !== "" && SETEXT_UNDERLINE.test(lines[i + 1] ?? "") && !LIST_ITEM.test(line);
    if (atx !== null || setext) {
      flush();
      heading = (atx ?? line).trim();
    }
    buffer.push(line);
  }
  flush();
  return { segments, pageCount: null };
}

export function extractPlainText(text: string): ExtractedDocument {
  return { segments: text.trim() ? [{ text, heading: null, page: null }] : [], pageCount: null };
}
