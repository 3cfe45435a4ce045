// Inngest fails a run past 1,000 steps: Keel's functions whose work grows with their input stay
// far below it however large the input, by sharing steps (analysis) or handing over (re-embedding).
import { describe, expect, it } from "vitest";
import { defaultReembedSettings, maxBatchPolls, reembedSettingsFromEnv } from "@/lib/documents/reembed/settings";
import { MAX_EMBED_STEPS, MAX_SECTION_STEPS } from "./functions/analyze-document";
import { batchRoundSteps, REEMBED_STEP_BUDGET } from "./functions/reembed";
import { groupEvenly } from "./functions/step-groups";
import { INNGEST_STEP_LIMIT } from "./local-executor/limits";

describe("groupEvenly", () => {
  it("keeps one item per group while they fit, and shares them out evenly, in order, when they do not", () => {
    expect(groupEvenly([1, 2, 3], 5)).toEqual([[1], [2], [3]]);
    expect(groupEvenly([], 5)).toEqual([]);
    const items = Array.from({ length: 10_007 }, (_, i) => i);
    const groups = groupEvenly(items, 200);
    expect(groups).toHaveLength(200);
    expect(groups.flat()).toEqual(items);
    const sizes = groups.map((group) => group.length);
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    expect(() => groupEvenly(items, 0)).toThrow(/positive integer/);
  });
});

describe("step budgets", () => {
  it("analyze-document takes at most 3 + MAX_EMBED_STEPS + MAX_SECTION_STEPS steps, whatever the document", () => {
    // A 25 MB text file is about 6 million tokens: some 9,800 passages (153 embedding batches) and
    // 1,000 sections of 6,000 tokens, which one step each would take past the limit.
    expect(groupEvenly(Array.from({ length: 153 }), MAX_EMBED_STEPS)).toHaveLength(153);
    expect(groupEvenly(Array.from({ length: 1_040 }), MAX_SECTION_STEPS)).toHaveLength(MAX_SECTION_STEPS);
    expect(3 + MAX_EMBED_STEPS + MAX_SECTION_STEPS).toBeLessThanOrEqual(INNGEST_STEP_LIMIT * 0.6);
  });

  it("reembed stays under its budget with every setting at its allowed extreme", () => {
    const extreme = reembedSettingsFromEnv({ NODE_ENV: "test", KEEL_REEMBED_MAX_STEPS: "900", KEEL_REEMBED_BATCH_POLL_SECONDS: "1" });
    expect(extreme.maxOnlineSteps).toBe(900);
    // One provider batch round that polls for the whole 24-hour window fits in a run...
    expect(1 + batchRoundSteps(maxBatchPolls(extreme)) + 2).toBeLessThan(REEMBED_STEP_BUDGET);
    expect(1 + batchRoundSteps(maxBatchPolls(defaultReembedSettings)) + 2).toBeLessThan(REEMBED_STEP_BUDGET);
    // ...and the budget itself leaves a tenth of Inngest's limit spare.
    expect(REEMBED_STEP_BUDGET).toBeLessThanOrEqual(INNGEST_STEP_LIMIT * 0.9);
  });
});
