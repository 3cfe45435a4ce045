// The offline model runs in the app's own processes, so what one prompt or one embedding input can
// make it do is bounded: every pattern over the text is linear, and the text read is capped.
import { describe, expect, it } from "vitest";
import { pseudoWord } from "@/test/hostile-documents";
import { Corpus, MAX_CONTEXT_CHARS } from "./corpus";
import { embedTextOffline, MAX_EMBEDDING_CHARS } from "./embedding-model";
import { OfflineLanguageModel } from "./language-model";
import { structuredAnswer } from "./json-schema-value";
import { bareWord } from "./names";
import { queryTerms, splitBlocks, splitSentences } from "./text";

/** The fastest of seven runs: other work on the machine only ever adds time, so the minimum is the least disturbed. */
function fastestMs(work: () => void): number {
  let fastest = Infinity;
  for (let i = 0; i < 7; i++) {
    const start = performance.now();
    work();
    fastest = Math.min(fastest, performance.now() - start);
  }
  return fastest;
}

/**
 * How much longer `work` takes on 8x the input: about 8 when it is linear, 64 when quadratic. A
 * ratio within one run, not a duration, and far enough from both that a busy machine (another
 * test worker on the same cores) does not push a linear pass across the bound.
 */
function growthOnEightTimesTheInput(work: (copies: number) => void, copies: number): number {
  work(copies); // warm up the JIT on the same shapes
  return (
    fastestMs(() => work(copies * 8)) /
    Math.max(
      fastestMs(() => work(copies)),
      0.05,
    )
  );
}

describe("offline model input bounds", () => {
  it("splits one-letter sentences (up to 200 KB) in time linear in their length", () => {
    const growth = growthOnEightTimesTheInput((copies) => splitSentences("x. ".repeat(copies)), 8_750);
    expect(growth).toBeLessThan(24);
  });

  it("splits blocks of many wrapped lines in one pass, in time linear in their length", () => {
    const growth = growthOnEightTimesTheInput((copies) => splitBlocks("Word and more words on a wrapped line\n".repeat(copies)), 6_250);
    expect(growth).toBeLessThan(24);
    expect(splitBlocks("Word and more words on a wrapped line\n".repeat(50_000))).toHaveLength(1);
  });

  it("keeps sentence splitting and names as before", () => {
    expect(splitSentences("Dr. Smith met J. Doe at 3.5 km. Then they left! ok")).toEqual(["Dr. Smith met J. Doe at 3.5 km.", "Then they left! ok"]);
    expect(bareWord("(Acme's),")).toBe("Acme");
    expect(bareWord("“Jane”")).toBe("Jane");
  });

  it("reads at most MAX_CONTEXT_CHARS of context and 64 question terms", () => {
    const corpus = new Corpus([{ text: "The turbine number one reports output daily. ".repeat(200_000), source: "message" }]);
    // Duplicates collapse; what matters is that building it read a bounded prefix.
    expect(corpus.sentences.length).toBeLessThanOrEqual(MAX_CONTEXT_CHARS / 40);
    expect(queryTerms(pseudoWord(2_000_000).replace(/(.{9})./g, "$1 ")).size).toBe(64);
  });

  it("answers a 6 MB prompt of one-letter sentences", async () => {
    const model = new OfflineLanguageModel();
    const result = await model.doGenerate({
      prompt: [{ role: "user", content: [{ type: "text", text: `What does x mean?\n${"x. ".repeat(2_000_000)}` }] }],
    });
    expect(result.content[0]).toMatchObject({ type: "text" });
  });

  it("embeds a 1 MB word as its first MAX_EMBEDDING_CHARS characters", () => {
    const word = pseudoWord(1024 * 1024);
    const vector = embedTextOffline(word);
    expect(vector).toEqual(embedTextOffline(word.slice(0, MAX_EMBEDDING_CHARS)));
    expect(Math.hypot(...vector)).toBeCloseTo(1, 6);
  });
});

describe("names that are also JavaScript object keys", () => {
  it("fills properties and formats called __proto__, constructor and toString as plain names", () => {
    const corpus = new Corpus([{ text: "The plant reports output.", source: "message" }]);
    // Parsed from JSON, as a request body is: an object literal's `__proto__:` would set the prototype.
    const schema = JSON.parse(
      '{"type":"object","properties":{"__proto__":{"type":"string"},"a":{"type":"string","format":"constructor"},"b":{"type":"string","format":"__proto__"}},"required":["__proto__","a","b","toString","constructor"]}',
    ) as never;
    const value = JSON.parse(structuredAnswer(corpus, "What is reported?", schema)) as Record<string, unknown>;
    expect(Object.keys(value).sort()).toEqual(["__proto__", "a", "b", "constructor", "toString"]);
    expect(typeof value.a).toBe("string");
    expect(typeof value.b).toBe("string");
  });
});
