// The bounds on client JSON schemas: what a stranger's schema may demand, found without recursion
// and within a bounded number of steps, whatever its shape.
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { JSON_SCHEMA_LIMITS, jsonSchemaProblem } from "./json-schema-bounds";
import { briefSchema } from "./offline/sample-document";

const arrayOf = (items: unknown, minItems: number) => ({ type: "array", items, minItems });

describe("jsonSchemaProblem", () => {
  it("accepts ordinary schemas, including zod's and recursive ones", () => {
    expect(jsonSchemaProblem(z.toJSONSchema(briefSchema))).toBeNull();
    expect(jsonSchemaProblem({ type: "object", properties: { city: { type: "string", minLength: 1 } }, required: ["city"] })).toBeNull();
    const tree = {
      $defs: { node: { type: "object", properties: { children: arrayOf({ $ref: "#/$defs/node" }, 1) }, required: ["children"] } },
      $ref: "#/$defs/node",
    };
    expect(jsonSchemaProblem(tree)).toBeNull();
    expect(jsonSchemaProblem(arrayOf({ type: "string" }, JSON_SCHEMA_LIMITS.maxMinItems))).toBeNull();
  });

  it("refuses a huge minItems, minLength or minProperties and says where", () => {
    expect(jsonSchemaProblem({ type: "object", properties: { x: arrayOf({ type: "string" }, 1e9) }, required: ["x"] })).toEqual({
      message: "'minItems' is 1000000000; at most 1000 is supported.",
      at: "properties.x.minItems",
    });
    expect(jsonSchemaProblem({ type: "string", minLength: 5e6 })?.at).toBe("minLength");
    expect(jsonSchemaProblem({ type: "object", minProperties: 1e7 })?.at).toBe("minProperties");
  });

  it("refuses demands that multiply through nesting past the value limit", () => {
    const nested = arrayOf(arrayOf({ type: "string", minLength: 10 }, 1_000), 1_000);
    expect(jsonSchemaProblem(nested)?.message).toMatch(/smallest value this schema allows is longer than 256000 characters/);
    // Through a $ref and a required property, too.
    const viaRef = {
      $defs: { row: { type: "object", properties: { cells: arrayOf({ type: "string", minLength: 100 }, 1_000) }, required: ["cells"] } },
      ...arrayOf({ $ref: "#/$defs/row" }, 1_000),
    };
    expect(jsonSchemaProblem(viaRef)?.message).toMatch(/smallest value/);
    // anyOf: the branch the filler takes counts.
    expect(jsonSchemaProblem({ anyOf: [{ type: "null" }, nested] })?.message).toMatch(/smallest value/);
  });

  it("refuses a schema nested a million deep without overflowing the stack", () => {
    let deep: unknown = { type: "string" };
    for (let i = 0; i < 1_000_000; i++) deep = { type: "array", items: deep };
    const started = performance.now();
    expect(jsonSchemaProblem(deep)?.message).toBe("The schema nests more than 64 levels deep.");
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  it("refuses an oversized schema and $refs that fan out exponentially", () => {
    const properties = Object.fromEntries(Array.from({ length: 5_000 }, (_, i) => [`field_${i}`, { type: "string", description: "x".repeat(20) }]));
    expect(jsonSchemaProblem({ type: "object", properties })?.message).toMatch(/longer than 100000 characters/);
    // Each level refers to the next 30 times (as required properties): 30^6 expansions within the fill depth if walked naively.
    const $defs: Record<string, unknown> = { d12: { type: "string" } };
    for (let i = 0; i < 12; i++) {
      const keys = Array.from({ length: 30 }, (_, k) => `k${k}`);
      $defs[`d${i}`] = { type: "object", properties: Object.fromEntries(keys.map((k) => [k, { $ref: `#/$defs/d${i + 1}` }])), required: keys };
    }
    const started = performance.now();
    expect(jsonSchemaProblem({ $defs, $ref: "#/$defs/d0" })?.message).toMatch(/expand to too many nodes|smallest value/);
    expect(performance.now() - started).toBeLessThan(2_000);
  });
});
