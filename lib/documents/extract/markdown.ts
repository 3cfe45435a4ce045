// Markdown and plain text: decoded (UTF-8, or UTF-16 with a byte-order mark), split into sections
// at Markdown headings (ATX `#` headings, and setext underlines) so each chunk keeps its heading.
import { decodeText } from "../detect-kind";
import type { ExtractedDocument, TextSegment } from "./types";

export function extractMarkdown(bytes: Uint8Array): ExtractedDocument {
  const lines = decodeText(bytes).split(/\r?\n/);
  const segments: TextSegment[] = [];
  let heading: string | null = null;
  let buffer: string[] = [];
  let inFence = false;
  const flush = () => {
    const text = buffer.join("\n").trim();
    if (text) segments.push({ text, heading, page: null });
    buffer = [];
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (/^\s*(```|~~~)/.test(line)) inFence = !inFence;
    const atx = inFence ? null : /^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$/.exec(line);
    const setext = !inFence && line.trim() && /^\s{0,3}(=+|-+)\s*$/.test(lines[i + 1] ?? "") && !/^\s*[-*+]\s/.test(line);
    if (atx || setext) {
      flush();
      heading = (atx ? atx[1]! : line).trim();
    }
    buffer.push(line);
  }
  flush();
  return { segments, pageCount: null };
}

export function extractPlainText(bytes: Uint8Array): ExtractedDocument {
  const text = decodeText(bytes);
  return { segments: text.trim() ? [{ text, heading: null, page: null }] : [], pageCount: null };
}
