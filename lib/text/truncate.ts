// Short forms of titles and labels: cut at a word boundary with an ellipsis, never inside a word
// (or a character), with the platform's own word segmentation (Intl.Segmenter), which also knows
// the boundaries of scripts written without spaces.

const ELLIPSIS = "…";
const words = new Intl.Segmenter("en", { granularity: "word" });

/**
 * `text` with runs of whitespace made single spaces; if it is longer than `max` characters, the
 * longest run of whole words that fits (with the ellipsis) followed by "…". A first word longer
 * than the limit on its own is cut at a character (grapheme) boundary instead.
 */
export function truncateAtWord(text: string, max: number): string {
  const clean = text.replace(/\s+/g, " ").trim();
  if (clean.length <= max) return clean;
  const budget = Math.max(1, max - ELLIPSIS.length);
  let end = 0;
  for (const segment of words.segment(clean)) {
    const segmentEnd = segment.index + segment.segment.length;
    if (segmentEnd > budget) break;
    // A boundary after a word (not after the space or punctuation that follows it).
    if (segment.isWordLike) end = segmentEnd;
  }
  if (end === 0) end = graphemeBoundaryBefore(clean, budget);
  return `${trimTrailingSeparators(clean.slice(0, end))}${ELLIPSIS}`;
}

const SEPARATORS = new Set([" ", ",", ";", ":", ".", "-", "–", "—"]);

// A loop rather than a `[…]+$` pattern: that pattern is quadratic on long runs of separators.
function trimTrailingSeparators(text: string): string {
  let end = text.length;
  while (end > 0 && SEPARATORS.has(text[end - 1] ?? "")) end -= 1;
  return text.slice(0, end);
}

const graphemes = new Intl.Segmenter("en", { granularity: "grapheme" });

function graphemeBoundaryBefore(text: string, limit: number): number {
  let end = 0;
  for (const segment of graphemes.segment(text)) {
    const segmentEnd = segment.index + segment.segment.length;
    if (segmentEnd > limit) break;
    end = segmentEnd;
  }
  return end;
}
