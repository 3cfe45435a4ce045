// Who may observe what: the URL never widens a tenant admin's view; members see nothing; operators
// choose the platform or any tenant.
import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { resolveObservabilityScope } from "./page-scope";

const tenantId = randomUUID();
const other = randomUUID();
const ctx = (role: "owner" | "admin" | "member") => ({ userId: randomUUID(), tenantId, role });

describe("resolveObservabilityScope", () => {
  it("owners and admins see their own workspace, whatever the URL asks for", () => {
    for (const role of ["owner", "admin"] as const) {
      for (const requested of [undefined, "platform", other, "junk"]) {
        expect(resolveObservabilityScope(ctx(role), false, requested)).toEqual({ kind: "tenant", tenantId });
      }
    }
  });

  it("members see nothing", () => {
    for (const requested of [undefined, "platform", tenantId]) expect(resolveObservabilityScope(ctx("member"), false, requested)).toBeNull();
  });

  it("operators see the platform or any tenant; by default their own workspace if they administer it, else the platform", () => {
    expect(resolveObservabilityScope(ctx("member"), true, "platform")).toEqual({ kind: "platform" });
    expect(resolveObservabilityScope(ctx("member"), true, other)).toEqual({ kind: "tenant", tenantId: other });
    expect(resolveObservabilityScope(ctx("member"), true, undefined)).toEqual({ kind: "platform" });
    expect(resolveObservabilityScope(ctx("owner"), true, "junk")).toEqual({ kind: "tenant", tenantId });
  });
});
