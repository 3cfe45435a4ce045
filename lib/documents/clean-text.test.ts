// Passages keep no invisible or direction-changing characters; cleaning is one linear pass.
import { describe, expect, it } from "vitest";
import { cleanText } from "./clean-text";

describe("cleanText", () => {
  it("drops zero-width characters, bidi controls, stray byte-order marks and tag characters", () => {
    const hidden = "pay\u200Bment to acc\u200Dount \u202Egnp.exe\u202C, \u2066isolated\u2069 \uFEFFok\u00AD \u{E0049}\u{E0067}done";
    expect(cleanText(hidden)).toBe("payment to account gnp.exe, isolated ok done");
  });

  it("keeps what people see: accents, scripts, emoji, indentation", () => {
    const text = "Größe — 風力 — مرحبا — 😀\n    indented code\n\tTabbed";
    expect(cleanText(text)).toBe("Größe — 風力 — مرحبا — 😀\n    indented code\n Tabbed");
  });

  it("normalises line endings, trailing spaces and blank-line runs, and long space runs", () => {
    expect(cleanText("a  \r\nb\r\r\n\n\n\nc")).toBe("a\nb\n\nc");
    expect(cleanText(`start${" ".repeat(2 * 1024 * 1024)}end`)).toBe("start end");
    expect(cleanText(`x${" ".repeat(2 * 1024 * 1024)}`)).toBe("x");
  });
});
