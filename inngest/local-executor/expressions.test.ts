import { describe, expect, it } from "vitest";
import { compileCondition, compileValue } from "./expressions";

const event = { name: "document/uploaded", data: { tenantId: "t1", jobId: "j1", priority: 60, nested: { ok: true } } };

describe("expressions", () => {
  it("reads paths and literals", () => {
    expect(compileValue("event.data.tenantId")({ event })).toBe("t1");
    expect(compileValue("event.data.priority")({ event })).toBe(60);
    expect(compileValue("event.data.missing.deeper")({ event })).toBeUndefined();
    expect(compileValue("120")({ event })).toBe(120);
  });

  it("evaluates equality joined by &&, as cancelOn and onFailure triggers write it", () => {
    const cancel = compileCondition("async.data.jobId == event.data.jobId", ["event", "async"]);
    expect(cancel({ event, async: { data: { jobId: "j1" } } })).toBe(true);
    expect(cancel({ event, async: { data: { jobId: "j2" } } })).toBe(false);
    expect(cancel({ event, async: { data: {} } })).toBe(false);
    expect(compileCondition("event.data.function_id == 'keel-analyze-document'")({ event: { data: { function_id: "keel-analyze-document" } } })).toBe(true);
    expect(compileCondition(`event.data.tenantId == "t1" && event.data.nested.ok == true && event.data.jobId != 'x'`)({ event })).toBe(true);
  });

  it("refuses anything richer instead of guessing", () => {
    for (const source of ["event.data.priority > 10", "event.data.a || event.data.b", "size(event.data.list)", "event.data.a == ", "user.id == 'x'"]) {
      expect(() => compileCondition(source)).toThrow(/local executor does not support the expression/);
    }
    expect(() => compileValue("event.data.plan == 'pro' ? 120 : 0")).toThrow(/local executor does not support/);
  });
});
