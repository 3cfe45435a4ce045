import { describe, expect, it } from "vitest";
import { safeRedirectPath } from "./safe-redirect";

describe("safeRedirectPath", () => {
  it("keeps same-site paths and the path of absolute URLs", () => {
    expect(safeRedirectPath("/members?x=1")).toBe("/members?x=1");
    expect(safeRedirectPath("/members?x=1#top")).toBe("/members?x=1#top");
    expect(safeRedirectPath("http://localhost:3000/invite/a/b")).toBe("/invite/a/b");
    expect(safeRedirectPath("https://evil.test/steal")).toBe("/steal");
    expect(safeRedirectPath("/chat/%E2%9C%93")).toBe("/chat/%E2%9C%93");
  });

  it("falls back on anything that could leave the site", () => {
    for (const bad of ["//evil.test", "/\\evil.test", "\\\\evil.test", "javascript:alert(1)", "data:text/html,x", "evil.test/x", "", undefined, 42]) {
      expect(safeRedirectPath(bad), String(bad)).toBe("/chat");
    }
  });

  it("falls back on tab, newline and control-character tricks, raw or encoded", () => {
    const tricks = [
      "/\t/evil.test",
      "/\n/evil.test",
      "/\r\n/evil.test",
      "\t//evil.test",
      " //evil.test",
      "/\u0000/evil.test",
      "/%09/evil.test",
      "/%0a/evil.test",
      "/%2f/evil.test",
      "/%5cevil.test",
      "/%2F%2Fevil.test",
      "/%E0%A4%A", // malformed escape
    ];
    for (const bad of tricks) expect(safeRedirectPath(bad), JSON.stringify(bad)).toBe("/chat");
  });

  it("keeps only a safe path from absolute URLs", () => {
    expect(safeRedirectPath("https://a.test//evil.test")).toBe("/chat");
    expect(safeRedirectPath("https://a.test/%2F%2Fevil.test")).toBe("/chat");
    expect(safeRedirectPath("https://a.test/\t/evil.test")).toBe("/chat");
    expect(safeRedirectPath("ftp://evil.test/x")).toBe("/chat");
  });
});
