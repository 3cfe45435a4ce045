// What may differ between two recordings, or between a recording and the local executor, without
// the protocol differing: error stacks (file paths and line numbers), step timings, run ids (the
// executor makes its own), and the time a failure event was written. Everything else is compared
// as it is.

export interface Normalization {
  /** Run ids to replace with "<run>". */
  runIds?: Iterable<string>;
}

export function normalize(value: unknown, options: Normalization = {}): unknown {
  const runIds = new Set(options.runIds ?? []);
  const walk = (node: unknown, key?: string, parent?: Record<string, unknown>): unknown => {
    if (typeof node === "string") {
      if (key === "stack") return "<stack>";
      if (runIds.has(node)) return "<run>";
      return node;
    }
    if (typeof node === "number" && key === "ts" && parent?.name === "inngest/function.failed") return "<ts>";
    if (key === "timing" && node && typeof node === "object") return "<timing>";
    if (Array.isArray(node)) return node.map((item) => walk(item));
    if (node && typeof node === "object") {
      const record = node as Record<string, unknown>;
      return Object.fromEntries(Object.keys(record).map((k) => [k, walk(record[k], k, record)]));
    }
    return node;
  };
  return walk(value);
}
