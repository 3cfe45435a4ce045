// Token estimates for quota reservations and for usage a provider did not report. They must not
// undercount (a reservation that is too small lets a tenant overspend), so high-entropy text
// (base64, hex, keys), which real tokenizers split into short pieces, is counted densely.
// lib/ai/tokens.test.ts holds the estimate to at least 90% of a real BPE tokenizer's count on
// English, source code, JSON, base64, hex and CJK text.

// CJK scripts are written without spaces, so each character counts as its own piece; otherwise a
// whole paragraph would look like a single "word".
const TOKEN_PIECE = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]|[\p{L}\p{N}\p{M}_]+|[^\s\p{L}\p{N}\p{M}_]/gu;

const DIGIT = /\p{N}/u;
const UPPER = /\p{Lu}/u;

/** Changes between letter and digit, or lower and upper case, inside a piece: rare in words, common in base64 and hex. */
function transitions(piece: string): number {
  let count = 0;
  let previous = "";
  for (const char of piece) {
    const kind = DIGIT.test(char) ? "digit" : UPPER.test(char) ? "upper" : "other";
    if (previous && kind !== previous && !(previous === "upper" && kind === "other")) count++;
    previous = kind;
  }
  return count;
}

function pieceTokens(piece: string): number {
  // Tokenizers group digits by threes, and keep the space before a number as a token of its own.
  if (/^\p{N}+$/u.test(piece)) return Math.ceil(piece.length / 3) + 1;
  if (piece.length <= 6) return 1;
  // Random-looking runs (base64, hex, ids) come out at about 1.4–1.8 characters per token.
  if (transitions(piece) / piece.length > 0.15) return Math.ceil(piece.length / 1.5);
  return Math.ceil(piece.length / 4);
}

/**
 * Cheap deterministic token estimate: one token per short word, ~4 characters per token for long
 * words, ~1.5 for random-looking runs, one per punctuation character or CJK character. It is
 * additive over whitespace (`countTokens(a + " " + b) === countTokens(a) + countTokens(b)`), which
 * keeps usage numbers easy to reason about in quota estimates and tests.
 */
export function countTokens(text: string): number {
  let tokens = 0;
  for (const match of text.matchAll(TOKEN_PIECE)) tokens += pieceTokens(match[0]);
  return tokens;
}
