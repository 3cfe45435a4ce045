// Token ids of document text through the real BPE tokenizer (o200k, as OpenAI's current models
// use), fed in bounded pieces. BPE merges a pre-token in time that grows with the square of its
// length, and a pre-token is a run of letters (or of spaces): a 1 MB "word", a 32 KB heading, 2 MB
// of spaces or a long run of CJK text would each hold a thread for minutes. Runs longer than
// MAX_RUN are cut into MAX_RUN pieces first, so a 1 MB word costs what 1 MB of random 32-letter
// words costs (a few seconds at most, measured in tokenize.test.ts); ordinary text, where every run
// is shorter, is encoded whole, exactly as before, and a cut costs a token or two.
import { encode } from "gpt-tokenizer/encoding/o200k_base";

export const MAX_RUN = 32;

function isSpace(code: number): boolean {
  return (
    code === 32 ||
    (code >= 9 && code <= 13) ||
    code === 0xa0 ||
    code === 0x1680 ||
    (code >= 0x2000 && code <= 0x200a) ||
    code === 0x2028 ||
    code === 0x2029 ||
    code === 0x202f ||
    code === 0x205f ||
    code === 0x3000
  );
}

const isLowSurrogate = (code: number) => code >= 0xdc00 && code <= 0xdfff;

/** The text cut so that no run of spaces or non-spaces is longer than `maxRun` (one pass). */
export function boundedPieces(text: string, maxRun = MAX_RUN): string[] {
  const pieces: string[] = [];
  let pieceStart = 0;
  let runStart = 0;
  let runIsSpace = text.length > 0 && isSpace(text.charCodeAt(0));
  for (let i = 1; i < text.length; i++) {
    const code = text.charCodeAt(i);
    const space = isSpace(code);
    if (space !== runIsSpace) {
      runIsSpace = space;
      runStart = i;
    } else if (i - runStart >= maxRun && !isLowSurrogate(code)) {
      pieces.push(text.slice(pieceStart, i));
      pieceStart = i;
      runStart = i;
    }
  }
  if (pieceStart < text.length) pieces.push(text.slice(pieceStart));
  return pieces;
}

/** The token ids of `text`, encoded in bounded pieces. */
export function encodeBounded(text: string): number[] {
  const pieces = boundedPieces(text);
  if (pieces.length === 1) return encode(pieces[0]!);
  const tokens: number[] = [];
  for (const piece of pieces) for (const token of encode(piece)) tokens.push(token);
  return tokens;
}
