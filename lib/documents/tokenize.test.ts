// The tokenizer gets bounded pieces: hostile runs cost what ordinary text of the same size costs.
import { encode } from "gpt-tokenizer/encoding/o200k_base";
import { describe, expect, it } from "vitest";
import { pseudoWord } from "@/test/hostile-documents";
import { chunkSegments } from "./chunk";
import { boundedPieces, encodeBounded, MAX_RUN } from "./tokenize";

/** Longest run of spaces or of non-spaces in `text`. */
function longestRun(text: string): number {
  let longest = 0;
  for (const run of text.match(/\s+|\S+/g) ?? []) longest = Math.max(longest, run.length);
  return longest;
}

function medianMs(work: () => void): number {
  const times: number[] = [];
  for (let i = 0; i < 3; i++) {
    const start = performance.now();
    work();
    times.push(performance.now() - start);
  }
  return times.sort((a, b) => a - b)[1]!;
}

describe("bounded tokenizer pieces", () => {
  it("leaves ordinary text whole and encodes it exactly as the tokenizer does", () => {
    const prose = "The operations team reported gearbox vibration at the northern sites. ".repeat(200);
    expect(boundedPieces(prose)).toEqual([prose]);
    expect(encodeBounded(prose)).toEqual(encode(prose));
  });

  it.each([
    ["a 1 MB word", pseudoWord(1024 * 1024)],
    ["2 MB of spaces", `start${" ".repeat(2 * 1024 * 1024)}end`],
    ["a 4 MB data URI", `![x](data:image/png;base64,${"A".repeat(4 * 1024 * 1024)})`],
    ["256 KB of CJK without a space", "風力発電所は毎日町に電気を供給しています".repeat(13_000)],
  ])("cuts %s into runs of at most MAX_RUN, losing nothing", (_label, text) => {
    const pieces = boundedPieces(text);
    expect(pieces.join("")).toBe(text);
    expect(pieces.reduce((longest, piece) => Math.max(longest, longestRun(piece)), 0)).toBeLessThanOrEqual(MAX_RUN);
  });

  it("never splits a surrogate pair", () => {
    const emoji = "😀".repeat(100);
    expect(boundedPieces(emoji).every((piece) => piece.isWellFormed())).toBe(true);
  });

  it("a 1 MB word costs no more than 1 MB of random words (measured: medians of 3, 3x margin)", () => {
    const word = pseudoWord(1024 * 1024, 11);
    const words = pseudoWord(1024 * 1024, 13).replace(/(.{31})./g, "$1 ");
    const anchor = medianMs(() => encodeBounded(words));
    const hostile = medianMs(() => encodeBounded(word));
    expect(hostile).toBeLessThan(anchor * 3 + 250);
  }, 120_000);

  it("chunks a 32 KB heading, 2 MB of spaces and a 3 MB line into bounded passages", () => {
    const chunks = chunkSegments([
      { text: pseudoWord(32 * 1024), heading: null, page: null },
      { text: `a${" ".repeat(2 * 1024 * 1024)}b`, heading: null, page: null },
      { text: "the plant reports output to the control room every day. ".repeat(55_000), heading: null, page: null },
    ]);
    expect(chunks.length).toBeGreaterThan(100);
    // The overlap is re-encoded from its text, which can cost a few tokens more than it did in place.
    expect(chunks.every((chunk) => chunk.tokenCount <= 840)).toBe(true);
  }, 120_000);

  it("refuses a document past the token bound, while counting", () => {
    expect(() =>
      chunkSegments([{ text: "word ".repeat(20_000), heading: null, page: null }], { targetTokens: 800, overlapRatio: 0.2, maxDocumentTokens: 10_000 }),
    ).toThrow(expect.objectContaining({ code: "too_long", message: expect.stringMatching(/longer than 10,000 tokens/) }));
  });
});
