// Token estimates for quota reservations and for usage a provider did not report.
// CJK scripts are written without spaces, so each character counts as its own piece; otherwise a
// whole paragraph would look like a single "word".
const TOKEN_PIECE = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]|[\p{L}\p{N}\p{M}_]+|[^\s\p{L}\p{N}\p{M}_]/gu;

/**
 * Cheap deterministic token estimate: one token per short word, ~4 characters per token for long
 * words, one per punctuation character. It is additive over whitespace
 * (`countTokens(a + " " + b) === countTokens(a) + countTokens(b)`), which keeps usage numbers
 * easy to reason about in quota estimates and tests.
 */
export function countTokens(text: string): number {
  let tokens = 0;
  for (const match of text.matchAll(TOKEN_PIECE)) {
    const piece = match[0];
    tokens += piece.length <= 6 ? 1 : Math.ceil(piece.length / 4);
  }
  return tokens;
}
