// Bounds on the JSON schemas a client sends (a response format, a tool's parameters), checked at the
// API boundary before any work, quota or provider call, whichever provider would get them. A schema
// is data from a stranger: its size and depth bound what every provider SDK walks (some convert it
// recursively), and what it *demands* (minItems, minLength, minProperties, multiplied through
// nesting) bounds what the offline model's schema filler (./offline/json-schema-value.ts) must build.
// The filler keeps the same caps itself, for the schemas that reach it by other paths.

export const JSON_SCHEMA_LIMITS = {
  /** Characters of the schema as JSON. */
  maxSchemaChars: 100_000,
  /** Nesting of objects and arrays in the schema document itself (not the value it describes). */
  maxSchemaDepth: 64,
  /** Largest minItems / minProperties a schema may ask for. */
  maxMinItems: 1_000,
  /** Largest minLength a schema may ask for. */
  maxMinLength: 20_000,
  /** Characters the smallest value the schema admits (as the filler builds it) may take as JSON. */
  maxValueChars: 256_000,
} as const;

/** Schema nodes the demand estimate may visit: $refs can fan out exponentially. */
const MAX_ESTIMATE_VISITS = 50_000;
/** The filler stops nesting here (./offline/json-schema-value.ts MAX_DEPTH): no deeper demand counts. */
const FILL_DEPTH = 12;

export interface SchemaProblem {
  /** Says what is wrong, for a developer reading an API error. */
  readonly message: string;
  /** Where in the schema, as a dotted path ("properties.items.minItems"), or "" for the whole. */
  readonly at: string;
}

type Node = Record<string, unknown>;

const isNode = (value: unknown): value is Node => typeof value === "object" && value !== null && !Array.isArray(value);
const count = (value: unknown): number => (typeof value === "number" && Number.isFinite(value) ? value : 0);

/**
 * Walks the schema document without recursion (a hostile one may nest a million deep), checking its
 * depth and the size keywords on every node; then estimates the smallest value it demands.
 */
export function jsonSchemaProblem(schema: unknown): SchemaProblem | null {
  const limits = JSON_SCHEMA_LIMITS;
  const stack: Array<{ value: unknown; depth: number; path: string }> = [{ value: schema, depth: 1, path: "" }];
  while (stack.length > 0) {
    const { value, depth, path } = stack.pop()!;
    if (typeof value !== "object" || value === null) continue;
    if (depth > limits.maxSchemaDepth) return { message: `The schema nests more than ${limits.maxSchemaDepth} levels deep.`, at: path };
    const entries: Array<[string, unknown]> = Array.isArray(value) ? value.map((item, i) => [String(i), item]) : Object.entries(value);
    if (!Array.isArray(value)) {
      for (const [keyword, cap] of [
        ["minItems", limits.maxMinItems],
        ["minProperties", limits.maxMinItems],
        ["minContains", limits.maxMinItems],
        ["minLength", limits.maxMinLength],
      ] as const) {
        const asked = (value as Node)[keyword];
        if (typeof asked === "number" && asked > cap)
          return { message: `'${keyword}' is ${asked}; at most ${cap} is supported.`, at: path ? `${path}.${keyword}` : keyword };
      }
    }
    for (const [key, item] of entries) stack.push({ value: item, depth: depth + 1, path: path ? `${path}.${key}` : key });
  }
  // Depth is bounded now, so serialising cannot overflow the stack.
  if (JSON.stringify(schema).length > limits.maxSchemaChars) return { message: `The schema is longer than ${limits.maxSchemaChars} characters.`, at: "" };
  const estimate = new DemandEstimate(schema);
  const chars = estimate.of(schema, 0, new Set());
  if (estimate.visits > MAX_ESTIMATE_VISITS) return { message: "The schema's references expand to too many nodes.", at: "" };
  if (chars > limits.maxValueChars)
    return {
      message: `The smallest value this schema allows is longer than ${limits.maxValueChars} characters (minItems, minLength and minProperties multiply through nesting).`,
      at: "",
    };
  return null;
}

/** Resolves a local JSON pointer ref ("#/$defs/x"); anything else names no schema here. */
function resolveLocalRef(ref: string, root: unknown): unknown {
  if (!ref.startsWith("#")) return undefined;
  let node: unknown = root;
  for (const raw of ref.slice(1).split("/").filter(Boolean)) {
    let key = raw;
    try {
      key = decodeURIComponent(raw);
    } catch {
      // A malformed escape is read as written.
    }
    key = key.replace(/~1/g, "/").replace(/~0/g, "~");
    if (Array.isArray(node)) node = node[Number(key)];
    else node = isNode(node) && Object.hasOwn(node, key) ? node[key] : undefined;
  }
  return node;
}

/**
 * A lower bound, in characters of JSON, of the value the filler builds when it fills only what the
 * schema requires: the branch it takes of anyOf/oneOf, every allOf part, required properties,
 * minItems items, minLength characters. Saturates past the limit; counts its visits.
 */
class DemandEstimate {
  visits = 0;
  private readonly cap = JSON_SCHEMA_LIMITS.maxValueChars + 1;

  constructor(private readonly root: unknown) {}

  of(definition: unknown, depth: number, refs: ReadonlySet<string>): number {
    if (++this.visits > MAX_ESTIMATE_VISITS || depth > FILL_DEPTH || !isNode(definition)) return 4;
    const schema = definition;
    if (typeof schema.$ref === "string") {
      if (refs.has(schema.$ref)) return 4;
      return this.of(resolveLocalRef(schema.$ref, this.root), depth + 1, new Set([...refs, schema.$ref]));
    }
    if (schema.const !== undefined || Array.isArray(schema.enum)) return 2;
    let total = 0;
    if (Array.isArray(schema.allOf)) for (const part of schema.allOf) total = Math.max(total, this.of(part, depth + 1, refs));
    const branches = Array.isArray(schema.anyOf) ? schema.anyOf : Array.isArray(schema.oneOf) ? schema.oneOf : null;
    if (branches && branches.length > 0) {
      const branch = branches.find((b) => !(isNode(b) && b.type === "null")) ?? branches[0];
      return Math.max(total, this.of(branch, depth + 1, refs));
    }
    return Math.min(this.cap, Math.max(total, this.ofType(schema, depth, refs)));
  }

  private ofType(schema: Node, depth: number, refs: ReadonlySet<string>): number {
    const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== "null") : schema.type;
    const isObject = type === "object" || (type === undefined && (schema.properties !== undefined || schema.required !== undefined));
    const isArray = type === "array" || (type === undefined && schema.items !== undefined);
    if (isObject) {
      const properties = isNode(schema.properties) ? schema.properties : {};
      const required = Array.isArray(schema.required) ? schema.required.filter((k): k is string => typeof k === "string") : [];
      const extra = isNode(schema.additionalProperties) ? schema.additionalProperties : true;
      let total = 2;
      for (const key of new Set(required)) {
        const property = Object.hasOwn(properties, key) ? properties[key] : extra;
        total += key.length + 4 + this.of(property, depth + 1, refs);
        if (total >= this.cap) return this.cap;
      }
      const more = Math.max(0, count(schema.minProperties) - required.length);
      return total + (more > 0 ? more * (8 + this.of(extra, depth + 1, refs)) : 0);
    }
    if (isArray) {
      const prefix = Array.isArray(schema.prefixItems) ? schema.prefixItems : Array.isArray(schema.items) ? schema.items : [];
      const rest = Array.isArray(schema.items) ? schema.additionalItems : schema.items;
      let total = 2;
      for (const item of prefix) total += 1 + this.of(item, depth + 1, refs);
      const more = Math.max(0, count(schema.minItems) - prefix.length);
      return total + (more > 0 ? more * (1 + this.of(rest, depth + 1, refs)) : 0);
    }
    if (type === "string" || type === undefined) return 2 + count(schema.minLength);
    return 1;
  }
}
