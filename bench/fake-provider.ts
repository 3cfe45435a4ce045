// Keel's scripted OpenAI-compatible fake (test/fakes) in a process of its own, for load runs: its
// 50 ms chunk timers must not queue behind the load generator's parsing of thousands of chunks a
// second (a late chunk would look like Keel's stall). Prints {"url": …} once listening; SIGTERM stops it.
//
// BENCH_TOKENS words per answer, one SSE chunk each, BENCH_CADENCE_MS apart (a whole answer when
// not streaming, at once).
import { z } from "zod";
import { startFakeOpenAI } from "../test/fakes/fake-llm-server";

const settings = z
  .object({ BENCH_TOKENS: z.coerce.number().int().min(1).default(40), BENCH_CADENCE_MS: z.coerce.number().min(0).default(50) })
  .parse(process.env);

/** An answer of `words` words, the same every time (so its usage is known). */
function answerText(words: number): string {
  return Array.from({ length: words }, (_, i) => `word${i + 1}`).join(" ");
}

const fake = await startFakeOpenAI({ batches: false });
fake.setDefault({ kind: "text", text: answerText(settings.BENCH_TOKENS), chunkDelayMs: settings.BENCH_CADENCE_MS });
// The fake logs every request; a load run sends tens of thousands, so keep the log from growing.
setInterval(() => fake.requests.splice(0), 1_000).unref();
console.log(JSON.stringify({ url: fake.url }));
process.on("SIGTERM", () => void fake.close().finally(() => process.exit(0)));
