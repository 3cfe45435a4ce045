import { describe, expect, it } from "vitest";
import { truncateAtWord } from "./truncate";

describe("truncateAtWord", () => {
  it("keeps a text that fits, with its whitespace tidied", () => {
    expect(truncateAtWord("  How often   are\nturbines inspected? ", 60)).toBe("How often are turbines inspected?");
  });

  it("cuts at the last whole word that fits, with an ellipsis", () => {
    const title = truncateAtWord("How often are the Aberdeen turbines inspected by rope access teams?", 30);
    expect(title).toBe("How often are the Aberdeen…");
    expect(title.length).toBeLessThanOrEqual(30);
  });

  it("drops punctuation left dangling before the ellipsis", () => {
    expect(truncateAtWord("Budget, hiring, and the roadmap for next year", 17)).toBe("Budget, hiring…");
  });

  it("cuts a single overlong word at a character boundary, never inside an emoji or accent", () => {
    expect(truncateAtWord("Supercalifragilisticexpialidocious", 10)).toBe("Supercali…");
    const cut = truncateAtWord("👩‍👩‍👧‍👦👩‍👩‍👧‍👦👩‍👩‍👧‍👦👩‍👩‍👧‍👦", 24);
    expect(cut.endsWith("…")).toBe(true);
    expect(cut.slice(0, -1).isWellFormed()).toBe(true);
    expect(cut.slice(0, -1).length % "👩‍👩‍👧‍👦".length).toBe(0);
  });

  it("finds word boundaries in scripts written without spaces", () => {
    const cut = truncateAtWord("東京都の天気予報によると明日は雨が降るでしょう", 8);
    expect(cut.endsWith("…")).toBe(true);
    expect(cut.length).toBeLessThanOrEqual(8);
    expect("東京都の天気予報によると明日は雨が降るでしょう".startsWith(cut.slice(0, -1))).toBe(true);
  });
});
