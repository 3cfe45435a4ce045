// Structured output: builds a value that satisfies a JSON schema, from the context sentences.
import type { JSONObject, JSONSchema7, JSONSchema7Definition, JSONValue } from "@ai-sdk/provider";
import type { Corpus, Sentence } from "./corpus";
import { enumChoice, type EntityClassifier } from "./entity-kind";
import { extractiveAnswer } from "./extractive-answer";
import { cappedItems, cappedLength, FillBudget } from "./fill-budget";
import { fitString, humanise } from "./fit-string";
import { queryTerms, requestTerms, splitIdentifier } from "./text";

/** Property names whose values are short names rather than prose. */
const PHRASE_FIELD =
  /^(?:name|names|title|titles|label|labels|heading|headings|topic|topics|keyword|keywords|tag|tags|term|terms|entity|entities|subject|subjects|category|categories|person|people|persons|organi[sz]ations?|compan(?:y|ies)|places?|locations?|city|cities|country|countries|authors?|speakers?|participants?|products?|brands?|teams?)$/i;
/** Property names whose values are a multi-sentence extractive answer. */
const LONG_FIELD =
  /^(?:summary|answer|description|overview|abstract|explanation|text|content|body|response|details|reasoning|rationale|context|synopsis|result)$/i;

/** Beyond this depth only required properties are filled, so recursive schemas terminate. */
const OPTIONAL_PROPERTY_DEPTH = 4;
/** Hard stop for pathological recursive schemas. */
const MAX_DEPTH = 12;
const DEFAULT_LIST_SIZE = 5;

interface Focus {
  readonly phrase?: string;
  readonly sentence?: Sentence;
}

interface BuildContext {
  readonly corpus: Corpus;
  readonly question: ReadonlySet<string>;
  readonly root: JSONSchema7Definition;
  readonly focus?: Focus;
  /** $refs being expanded on the current path: meeting one again means the schema recurses. */
  readonly refs: ReadonlySet<string>;
  /** Inside recursion or deep nesting: only what the schema requires (keeps output finite and small). */
  readonly minimal: boolean;
  /** Tells a name's kind, for kind/type enums beside names. */
  readonly classify?: EntityClassifier;
  /** Shared by the whole value: bounds what one schema can make the filler build. */
  readonly budget: FillBudget;
}

function enterRef(ctx: BuildContext, ref: string): BuildContext {
  return { ...ctx, refs: new Set([...ctx.refs, ref]), minimal: ctx.minimal || ctx.refs.has(ref) };
}

function lastNameWord(name: string): string {
  const words = splitIdentifier(name).split(/\s+/);
  return words[words.length - 1] ?? "";
}

function fieldTerms(name: string, schema: JSONSchema7): Set<string> {
  return queryTerms(`${splitIdentifier(name)} ${schema.title ?? ""} ${schema.description ?? ""}`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isSchemaDefinition(value: unknown): value is JSONSchema7Definition {
  return typeof value === "boolean" || isRecord(value);
}

/** Resolves local refs ("#", "#/definitions/x", "#/$defs/x"); remote refs cannot be fetched offline. */
function decodePointerToken(raw: string): string {
  let token = raw;
  try {
    token = decodeURIComponent(raw);
  } catch {
    // A malformed escape is read as written.
  }
  return token.replace(/~1/g, "/").replace(/~0/g, "~");
}

function resolveRef(ref: string, root: JSONSchema7Definition): JSONSchema7Definition {
  if (!ref.startsWith("#")) return true;
  let node: unknown = root;
  for (const raw of ref.slice(1).split("/").filter(Boolean)) {
    const key = decodePointerToken(raw);
    // Own keys only: "#/__proto__" names no schema.
    node = isRecord(node) && Object.hasOwn(node, key) ? node[key] : Array.isArray(node) ? node[Number(key)] : undefined;
  }
  return isSchemaDefinition(node) ? node : true;
}

/** Deep-copies a schema literal (const/enum/default) into a JSONValue. */
function toJsonValue(value: unknown): JSONValue {
  if (value === null || typeof value === "string" || typeof value === "boolean") return value;
  if (typeof value === "number") return Number.isFinite(value) ? value : null;
  if (Array.isArray(value)) return value.map(toJsonValue);
  if (isRecord(value)) {
    const out: JSONObject = {};
    for (const [key, item] of Object.entries(value)) out[key] = toJsonValue(item);
    return out;
  }
  return null;
}

/** Merges allOf branches shallowly (properties and required are unioned); enough for generated schemas. */
function mergeAllOf(schema: JSONSchema7, root: JSONSchema7Definition): JSONSchema7 {
  const { allOf, ...rest } = schema;
  let merged: JSONSchema7 = { ...rest };
  for (const branch of allOf ?? []) {
    const resolved = typeof branch === "object" && branch.$ref ? resolveRef(branch.$ref, root) : branch;
    if (typeof resolved !== "object") continue;
    const part = resolved.allOf ? mergeAllOf(resolved, root) : resolved;
    merged = {
      ...part,
      ...merged,
      properties: { ...part.properties, ...merged.properties },
      required: [...new Set([...(part.required ?? []), ...(merged.required ?? [])])],
    };
  }
  return merged;
}

function primaryType(schema: JSONSchema7): string {
  const declared = schema.type;
  if (Array.isArray(declared)) {
    // Prefer a content-bearing type over "null" for nullable fields.
    return declared.find((t) => t !== "null") ?? "null";
  }
  if (declared) return declared;
  if (schema.properties || schema.additionalProperties !== undefined || schema.required) return "object";
  if (schema.items !== undefined) return "array";
  return "string";
}

function buildValue(definition: JSONSchema7Definition, name: string, ctx: BuildContext, depth: number): JSONValue {
  ctx.budget.spend(1);
  if (definition === true) return buildString({}, name, ctx);
  if (definition === false) return null;
  let schema = definition;
  if (schema.$ref) {
    if (depth > MAX_DEPTH) return null;
    return buildValue(resolveRef(schema.$ref, ctx.root), name, enterRef(ctx, schema.$ref), depth + 1);
  }
  if (schema.const !== undefined) return toJsonValue(schema.const);
  if (schema.enum && schema.enum.length > 0) {
    return toJsonValue(
      enumChoice(schema.enum, lastNameWord(name), ctx.focus && { phrase: ctx.focus.phrase, sentence: ctx.focus.sentence?.text }, ctx.classify),
    );
  }
  if (schema.allOf) schema = mergeAllOf(schema, ctx.root);
  const branches = schema.anyOf ?? schema.oneOf;
  if (branches && branches.length > 0) {
    // First branch that is not just `null` (zod emits anyOf [T, null] for nullable unions).
    const branch = branches.find((b) => !(typeof b === "object" && b.type === "null")) ?? branches[0] ?? true;
    return buildValue(branch, name, ctx, depth + 1);
  }
  switch (primaryType(schema)) {
    case "object":
      return buildObject(schema, name, ctx, depth);
    case "array":
      return buildArray(schema, name, ctx, depth);
    case "number":
      return buildNumber(schema, name, ctx, false);
    case "integer":
      return buildNumber(schema, name, ctx, true);
    case "boolean":
      return false;
    case "null":
      return null;
    default:
      return buildString(schema, name, ctx);
  }
}

function buildObject(schema: JSONSchema7, name: string, ctx: BuildContext, depth: number): JSONObject {
  // No prototype: a property called "__proto__" or "constructor" is a property like any other.
  const out = Object.create(null) as JSONObject;
  const required = new Set(schema.required ?? []);
  for (const [key, property] of Object.entries(schema.properties ?? {})) {
    if (required.has(key) || (!ctx.minimal && depth < OPTIONAL_PROPERTY_DEPTH && ctx.budget.roomy)) {
      out[key] = buildValue(property, key, ctx, depth + 1);
    }
  }
  // Required keys without a declared property take the additionalProperties schema.
  const extra: JSONSchema7Definition = typeof schema.additionalProperties === "object" ? schema.additionalProperties : true;
  for (const key of required) {
    if (!(key in out)) out[key] = buildValue(extra, key, ctx, depth + 1);
  }
  if (schema.additionalProperties !== false) {
    for (let i = Object.keys(out).length; i < cappedItems(schema.minProperties); i++) {
      out[`${name || "field"}${i + 1}`] = buildValue(extra, name, ctx, depth + 1);
    }
  }
  return out;
}

function buildArray(schema: JSONSchema7, name: string, outer: BuildContext, depth: number): JSONValue[] {
  let ctx = depth >= OPTIONAL_PROPERTY_DEPTH ? { ...outer, minimal: true } : outer;
  const minItems = cappedItems(schema.minItems);
  const maxItems = schema.maxItems ?? Number.POSITIVE_INFINITY;
  if (depth > MAX_DEPTH) return [];

  // Tuples: draft-07 `items: [...]` or 2020-12 `prefixItems`.
  const prefix: unknown = Array.isArray(schema.items) ? schema.items : (schema as Record<string, unknown>)["prefixItems"];
  if (Array.isArray(prefix)) {
    const positional = prefix.filter(isSchemaDefinition);
    const rest: JSONSchema7Definition =
      typeof schema.additionalItems === "object" ? schema.additionalItems : isSchemaDefinition(schema.items) ? schema.items : true;
    const out = positional.slice(0, maxItems).map((item, i) => buildValue(item, `${name}${i + 1}`, ctx, depth + 1));
    while (out.length < minItems) out.push(buildValue(rest, name, ctx, depth + 1));
    return out;
  }

  let resolved: JSONSchema7Definition = isSchemaDefinition(schema.items) ? schema.items : true;
  for (let guard = 0; typeof resolved === "object" && resolved.$ref && guard < MAX_DEPTH; guard++) {
    ctx = enterRef(ctx, resolved.$ref);
    resolved = resolveRef(resolved.$ref, ctx.root);
  }
  const item = resolved;
  const target = ctx.minimal || !ctx.budget.roomy ? minItems : Math.max(minItems, Math.min(DEFAULT_LIST_SIZE, maxItems));
  const itemName = singular(name);

  if (typeof item === "object" && isPlainString(item)) {
    const candidates = stringCandidates(name, item, ctx, target);
    const values = candidates.slice(0, target);
    for (let i = 1; values.length < minItems; i++) {
      const placeholder = `${humanise(itemName)} ${values.length + i}`;
      if (!values.includes(placeholder)) values.push(placeholder);
    }
    return values.map((v) => spent(ctx, fitString(v, item, itemName)));
  }

  if (typeof item === "object" && primaryType(item) === "object" && !item.enum && item.const === undefined) {
    const seeds = objectSeeds(item, name, ctx, target);
    const count = Math.min(Math.max(seeds.length, minItems), maxItems);
    const out: JSONValue[] = [];
    for (let i = 0; i < count; i++) {
      out.push(buildValue(item, itemName, { ...ctx, focus: seeds[i] }, depth + 1));
    }
    return out;
  }

  // Enum items: distinct values in schema order, so uniqueItems holds.
  if (typeof item === "object" && item.enum && item.enum.length > 0) {
    const values = item.enum.map(toJsonValue);
    ctx.budget.spend(minItems);
    return Array.from({ length: minItems }, (_, i) => values[i % values.length] ?? null);
  }
  // Numbers, booleans, formatted strings...: the minimum the schema asks for.
  const out: JSONValue[] = [];
  for (let i = 0; i < minItems; i++) out.push(buildValue(item, itemName, ctx, depth + 1));
  return out;
}

function isPlainString(schema: JSONSchema7): boolean {
  return (
    schema.enum === undefined &&
    schema.const === undefined &&
    schema.anyOf === undefined &&
    schema.oneOf === undefined &&
    schema.format === undefined &&
    (schema.type === "string" || (Array.isArray(schema.type) && schema.type.includes("string") && primaryType(schema) === "string"))
  );
}

function singular(name: string): string {
  if (/ies$/i.test(name)) return `${name.slice(0, -3)}y`;
  if (/[^s]s$/i.test(name)) return name.slice(0, -1);
  return name;
}

/** Distinct strings for a list field: key phrases for name-like fields, otherwise sentences. */
function stringCandidates(name: string, item: JSONSchema7, ctx: BuildContext, target: number): string[] {
  const { corpus } = ctx;
  if (corpus.isEmpty) return [];
  if (PHRASE_FIELD.test(lastNameWord(name)) || PHRASE_FIELD.test(name)) {
    const phrases = corpus.keyPhrases(ctx.question).slice(0, target);
    return phrases.sort((a, b) => corpus.firstMention(a) - corpus.firstMention(b));
  }
  const query = new Set([...ctx.question, ...fieldTerms(name, item)]);
  const relevant = corpus
    .rank(query)
    .slice(0, target)
    .map((s) => s.sentence);
  // Nothing relevant (e.g. "Summarise this"): the opening sentences are the best generic points.
  const chosen = relevant.length > 0 ? relevant : corpus.leading(target);
  return chosen.sort((a, b) => a.index - b.index).map((s) => s.text);
}

/** One focus per array item: a key phrase when items are named things, otherwise a sentence. */
function objectSeeds(item: JSONSchema7, name: string, ctx: BuildContext, target: number): Focus[] {
  const { corpus } = ctx;
  if (corpus.isEmpty) return [];
  const properties = Object.keys(item.properties ?? {});
  const named = PHRASE_FIELD.test(lastNameWord(name)) || properties.some((p) => PHRASE_FIELD.test(lastNameWord(p)));
  if (named) {
    const phrases = corpus.keyPhrases(ctx.question).slice(0, target);
    phrases.sort((a, b) => corpus.firstMention(a) - corpus.firstMention(b));
    return phrases.map((phrase) => ({
      phrase,
      sentence: corpus.sentences.find((s) => s.text.toLowerCase().includes(phrase.toLowerCase())),
    }));
  }
  return stringCandidates(name, item, ctx, target).map((text) => {
    const sentence = corpus.sentences.find((s) => s.text === text);
    const phrase = sentence ? corpus.namesIn(sentence)[0] : undefined;
    return { sentence, phrase };
  });
}

function buildString(schema: JSONSchema7, name: string, ctx: BuildContext): string {
  let text = chooseString(schema, name, ctx);
  // Too short for minLength: extend with further context before resorting to padding.
  const minLength = cappedLength(schema.minLength);
  for (const sentence of ctx.corpus.leading(ctx.corpus.sentences.length)) {
    if (text.length >= minLength) break;
    if (!text.includes(sentence.text)) text = text ? `${text} ${sentence.text}` : sentence.text;
  }
  return spent(ctx, fitString(text, schema, name));
}

/** Charges a built string to the budget. */
function spent(ctx: BuildContext, text: string): string {
  ctx.budget.spend(text.length);
  return text;
}

function chooseString(schema: JSONSchema7, name: string, ctx: BuildContext): string {
  const { corpus, focus } = ctx;
  const field = lastNameWord(name);
  if (PHRASE_FIELD.test(field)) {
    if (focus?.phrase) return focus.phrase;
    const phrase = corpus.keyPhrases(new Set([...ctx.question, ...fieldTerms(name, schema)]))[0];
    if (phrase) return phrase;
  }
  if (focus?.sentence) return focus.sentence.text;
  const long = LONG_FIELD.test(field) || name === "";
  const query = new Set([...ctx.question, ...fieldTerms(name, schema)]);
  // A subject-less request ("Summarise this") gets the opening sentences for prose fields.
  const picked = query.size === 0 && long ? corpus.leading(3) : corpus.select(query, long ? 3 : 1);
  if (picked.length > 0)
    return [...picked]
      .sort((a, b) => a.index - b.index)
      .map((s) => s.text)
      .join(" ");
  return corpus.leading(1)[0]?.text ?? "";
}

function buildNumber(schema: JSONSchema7, name: string, ctx: BuildContext, integer: boolean): number {
  const { corpus } = ctx;
  let low = schema.minimum ?? Number.NEGATIVE_INFINITY;
  let high = schema.maximum ?? Number.POSITIVE_INFINITY;
  const step = integer ? 1 : 1e-6;
  if (typeof schema.exclusiveMinimum === "number") low = Math.max(low, schema.exclusiveMinimum + step);
  if (typeof schema.exclusiveMaximum === "number") high = Math.min(high, schema.exclusiveMaximum - step);
  if (integer) {
    low = Math.ceil(low);
    high = Math.floor(high);
  }
  const fits = (n: number): boolean => n >= low && n <= high && (!integer || Number.isInteger(n)) && (!schema.multipleOf || isMultiple(n, schema.multipleOf));

  // A number stated in the sentence most about this field ("employs 450 people" for "people").
  const terms = fieldTerms(name, schema);
  const pool = ctx.focus?.sentence ? [ctx.focus.sentence] : corpus.rank(terms).map((s) => s.sentence);
  for (const sentence of terms.size > 0 ? pool : []) {
    for (const match of sentence.text.replace(/(\d),(\d{3})/g, "$1$2").matchAll(/-?\d+(?:\.\d+)?/g)) {
      const n = Number(match[0]);
      if (fits(n)) return n;
    }
  }
  // Otherwise a count: sentences relevant to the question and field, or all sentences.
  const relevant = corpus.rank(new Set([...ctx.question, ...terms])).length;
  let n = relevant > 0 ? relevant : corpus.sentences.length;
  n = Math.min(Math.max(n, low), high);
  if (!Number.isFinite(n)) n = 0;
  if (schema.multipleOf) {
    const m = schema.multipleOf;
    const up = Math.ceil(n / m) * m;
    n = up <= high ? up : Math.floor(n / m) * m;
  }
  return integer ? Math.round(n) : n;
}

function isMultiple(n: number, of: number): boolean {
  const ratio = n / of;
  return Math.abs(ratio - Math.round(ratio)) < 1e-9;
}

export function structuredAnswer(corpus: Corpus, question: string, schema: JSONSchema7 | undefined, classify?: EntityClassifier): string {
  if (!schema) return JSON.stringify({ answer: extractiveAnswer(corpus, question) });
  const ctx: BuildContext = { corpus, question: requestTerms(question), root: schema, refs: new Set(), minimal: false, classify, budget: new FillBudget() };
  return JSON.stringify(buildValue(schema, "", ctx, 0));
}
