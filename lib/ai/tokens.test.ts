// The estimate reserves quota before a call and bills calls a provider did not report: it must not
// undercount against a real BPE tokenizer, on any kind of text tenants send.
import { readFileSync } from "node:fs";
import { encode as encodeO200k } from "gpt-tokenizer/encoding/o200k_base";
import { encode as encodeCl100k } from "gpt-tokenizer/encoding/cl100k_base";
import { describe, expect, it } from "vitest";
import { countTokens } from "./tokens";

/** Deterministic bytes (xorshift), so the corpus is the same on every run. */
function pseudoRandomBytes(length: number, seed = 0x9e3779b9): Buffer {
  const bytes = Buffer.alloc(length);
  let state = seed >>> 0;
  for (let i = 0; i < length; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    bytes[i] = state & 0xff;
  }
  return bytes;
}

const corpus: Record<string, string> = {
  english:
    "Keel is a multi-tenant AI workspace: teams sign up as a tenant, chat with answers grounded in their own documents, run long analyses as " +
    "background jobs, and see usage, cost and quotas. Every model call is routed, cached, metered and held to the tenant's quota; admins see " +
    "usage, cost, quality and health. Don't forget: the quick brown fox jumps over the lazy dog, again and again, until the 31st of December.",
  code: readFileSync(new URL("./gateway/stream.ts", import.meta.url), "utf8"),
  sql: readFileSync(new URL("../../db/functions/keel_record_usage.sql", import.meta.url), "utf8"),
  json: JSON.stringify(Array.from({ length: 50 }, (_, i) => ({ id: i, name: `item-${i}`, value: (i * 7919) % 1000, tags: ["a", "b"] }))),
  base64: pseudoRandomBytes(3000).toString("base64"),
  hex: pseudoRandomBytes(1500).toString("hex"),
  digits: Array.from({ length: 200 }, (_, i) => String((i * 2654435761) % 1e9)).join(" "),
  cjk:
    "人工智能是计算机科学的一个分支，它企图了解智能的实质，并生产出一种新的能以人类智能相似的方式做出反应的智能机器。" +
    "日本語の文章も含めます。これはテストです。한국어 문장도 포함합니다. 这是一个关于数据库和向量检索的中文段落。",
};

describe("countTokens", () => {
  it("counts words and punctuation, long words at ~4 chars per token, additively over whitespace", () => {
    expect(countTokens("")).toBe(0);
    expect(countTokens("Hello, world!")).toBe(4);
    expect(countTokens("internationalisation")).toBe(5);
    expect(countTokens("a b") + countTokens("c d")).toBe(countTokens("a b\nc d"));
  });

  it.each(Object.keys(corpus))("never estimates %s below 90% of a real tokenizer's count (o200k and cl100k)", (kind) => {
    const text = corpus[kind]!;
    const real = Math.max(encodeO200k(text).length, encodeCl100k(text).length);
    expect(countTokens(text)).toBeGreaterThanOrEqual(Math.ceil(0.9 * real));
  });
});
