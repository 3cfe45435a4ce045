// The small part of Inngest's CEL expressions the local executor evaluates: a path
// (`event.data.tenantId`), a literal, or equality tests joined by `&&`
// (`async.data.jobId == event.data.jobId`, `event.data.function_id == 'keel-x'`). Anything else is
// refused when the function is registered, so no expression is ever half understood.
import { UnsupportedByLocalExecutor } from "./unsupported";

type Operand = { kind: "path"; root: string; keys: string[] } | { kind: "literal"; value: unknown };
type Token = { kind: "op"; text: "==" | "!=" | "&&" } | { kind: "operand"; operand: Operand };

/** The variables an expression may name: `event` always, `async` for cancellations. */
export type ExpressionScope = Record<string, unknown>;

function tokenize(source: string, roots: readonly string[]): Token[] {
  const tokens: Token[] = [];
  const pattern = /\s*(?:(==|!=|&&)|'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)"|(-?\d+(?:\.\d+)?)(?![\w.])|([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*))/y;
  let index = 0;
  while (index < source.length) {
    if (/^\s*$/.test(source.slice(index))) break;
    pattern.lastIndex = index;
    const match = pattern.exec(source);
    if (!match) throw new UnsupportedByLocalExecutor(`the expression "${source}" (only paths, literals, == and != joined by && are supported)`);
    index = pattern.lastIndex;
    const [, op, single, double, number, path] = match;
    if (op) tokens.push({ kind: "op", text: op as "==" | "!=" | "&&" });
    else if (single !== undefined || double !== undefined) {
      tokens.push({ kind: "operand", operand: { kind: "literal", value: (single ?? double)!.replace(/\\(.)/g, "$1") } });
    } else if (number !== undefined) tokens.push({ kind: "operand", operand: { kind: "literal", value: Number(number) } });
    else {
      const [root, ...keys] = path!.split(".");
      if (root === "true" || root === "false" || root === "null") {
        if (keys.length) throw new UnsupportedByLocalExecutor(`the expression "${source}"`);
        tokens.push({ kind: "operand", operand: { kind: "literal", value: root === "null" ? null : root === "true" } });
      } else if (roots.includes(root!)) tokens.push({ kind: "operand", operand: { kind: "path", root: root!, keys } });
      else throw new UnsupportedByLocalExecutor(`the expression "${source}" (it names "${root}"; only ${roots.join(" and ")} are known here)`);
    }
  }
  return tokens;
}

function resolve(operand: Operand, scope: ExpressionScope): unknown {
  if (operand.kind === "literal") return operand.value;
  let value: unknown = scope[operand.root];
  for (const key of operand.keys) {
    if (value === null || typeof value !== "object") return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

function equal(a: unknown, b: unknown): boolean {
  if (a === undefined || b === undefined) return false;
  return JSON.stringify(a) === JSON.stringify(b);
}

/** A value expression (concurrency key, priority): one path or literal. */
export function compileValue(source: string, roots: readonly string[] = ["event"]): (scope: ExpressionScope) => unknown {
  const tokens = tokenize(source, roots);
  const [only] = tokens;
  if (tokens.length !== 1 || only?.kind !== "operand")
    throw new UnsupportedByLocalExecutor(`the expression "${source}" (a single path or literal is supported here)`);
  return (scope) => resolve(only.operand, scope);
}

/** A condition (trigger `if`, cancellation match): `a == b` / `a != b` clauses joined by `&&`. */
export function compileCondition(source: string, roots: readonly string[] = ["event"]): (scope: ExpressionScope) => boolean {
  const tokens = tokenize(source, roots);
  const clauses: Array<{ left: Operand; op: "==" | "!="; right: Operand }> = [];
  for (let i = 0; i < tokens.length; i += 4) {
    const [left, op, right, joiner] = tokens.slice(i, i + 4);
    const valid =
      left?.kind === "operand" &&
      op?.kind === "op" &&
      op.text !== "&&" &&
      right?.kind === "operand" &&
      (joiner === undefined || (joiner.kind === "op" && joiner.text === "&&"));
    if (!valid || (joiner && i + 4 >= tokens.length)) {
      throw new UnsupportedByLocalExecutor(`the expression "${source}" (only == and != comparisons joined by && are supported)`);
    }
    clauses.push({ left: left.operand, op: op.text as "==" | "!=", right: right.operand });
  }
  if (clauses.length === 0) throw new UnsupportedByLocalExecutor(`the empty expression "${source}"`);
  return (scope) =>
    clauses.every(({ left, op, right }) => {
      const same = equal(resolve(left, scope), resolve(right, scope));
      return op === "==" ? same : !same;
    });
}
