import { describe, expect, it } from "vitest";
import { safeRedirectPath } from "./safe-redirect";

describe("safeRedirectPath", () => {
  it("keeps same-site paths and the path of absolute URLs", () => {
    expect(safeRedirectPath("/members?x=1")).toBe("/members?x=1");
    expect(safeRedirectPath("http://localhost:3000/invite/a/b")).toBe("/invite/a/b");
    expect(safeRedirectPath("https://evil.test/steal")).toBe("/steal");
  });
  it("falls back on anything that could leave the site", () => {
    for (const bad of ["//evil.test", "/\\evil.test", "javascript:alert(1)", "", undefined, 42]) expect(safeRedirectPath(bad)).toBe("/chat");
  });
});
