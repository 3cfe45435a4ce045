// The figures every usage slice carries (by day, model, feature, member, API key), added exactly
// in integers: tokens and micro-USD stay far below 2^53.

export interface UsageFigures {
  requests: number;
  errors: number;
  inputTokens: number;
  outputTokens: number;
  costMicroUsd: number;
  savedMicroUsd: number;
  cacheHits: number;
}

export const emptyFigures = (): UsageFigures => ({ requests: 0, errors: 0, inputTokens: 0, outputTokens: 0, costMicroUsd: 0, savedMicroUsd: 0, cacheHits: 0 });

export function addFigures(target: UsageFigures, more: UsageFigures): void {
  target.requests += more.requests;
  target.errors += more.errors;
  target.inputTokens += more.inputTokens;
  target.outputTokens += more.outputTokens;
  target.costMicroUsd += more.costMicroUsd;
  target.savedMicroUsd += more.savedMicroUsd;
  target.cacheHits += more.cacheHits;
}

export const tokensOf = (f: UsageFigures) => f.inputTokens + f.outputTokens;

/** The columns a rollup query returns for the figures (bigint sums arrive as text on postgres.js). */
export interface FigureColumns {
  requests: string | number;
  errors: string | number;
  input_tokens: string | number;
  output_tokens: string | number;
  cost_micro_usd: string | number;
  saved_micro_usd: string | number;
  cache_hits: string | number;
}

export function figuresOf(row: FigureColumns): UsageFigures {
  return {
    requests: Number(row.requests),
    errors: Number(row.errors),
    inputTokens: Number(row.input_tokens),
    outputTokens: Number(row.output_tokens),
    costMicroUsd: Number(row.cost_micro_usd),
    savedMicroUsd: Number(row.saved_micro_usd),
    cacheHits: Number(row.cache_hits),
  };
}

/** Groups rows by a key, adding their figures; biggest spend first. */
export function groupFigures<R, T extends object>(rows: R[], keyOf: (row: R) => string, labelOf: (row: R) => T, figures: (row: R) => UsageFigures) {
  const groups = new Map<string, T & UsageFigures>();
  for (const row of rows) {
    const key = keyOf(row);
    let group = groups.get(key);
    if (!group) groups.set(key, (group = { ...labelOf(row), ...emptyFigures() }));
    addFigures(group, figures(row));
  }
  return [...groups.values()].sort((a, b) => b.costMicroUsd - a.costMicroUsd || tokensOf(b) - tokensOf(a));
}
