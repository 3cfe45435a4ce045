// `npm run bench:chat`: time to first token and tokens per second of a chat answer streamed through
// Keel's chat server action, against the same scripted provider called directly.
//
// A production build (`next build`, served as `npm start` does, one worker) talks to Keel's
// scripted OpenAI-compatible fake on loopback, which streams every answer at a fixed cadence
// (BENCH_TOKENS words, one SSE chunk each, BENCH_CADENCE_MS apart). Keel is driven the way the
// browser drives it: a signed-in session (Auth.js cookie from the credentials sign-in) POSTs the
// server action to the conversation's page with the `Next-Action` header naming `askAction` (its id
// read from the build's server-reference manifest), the arguments as React encodes them (a JSON
// array), and reads the React Flight response as it streams: the action returns the answer's UI
// message stream (a ReadableStream of chunks; the words ride in `text-delta` chunks), which Next.js
// writes to the response as each chunk is produced. Each chat gets a
// conversation of its own (seeded before the server starts, titled and not grounded, so the
// figures are the answer's own path: admission, quota, the provider stream, saving as it goes,
// metering). The direct side is the same streaming request sent to the fake.
//
// Time to first token: from sending the request to the first answer word in the response. Tokens
// per second: words after the first / time from the first to the last word, per chat. Medians over
// the chats of a round, then medians over BENCH_ROUNDS rounds (sides alternate who goes first).
import http from "node:http";
import os from "node:os";
import { readFileSync } from "node:fs";
import { startFakeOpenAI } from "../test/fakes/fake-llm-server";
import { freshDatabase, serverEnv, signInOverHttp, startAppServer } from "./app-server";
import { median } from "./load";
import { writeBenchSummary } from "./summary";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const SERIAL = Number(process.env.BENCH_SERIAL ?? 10); // chats per round at concurrency 1
const LOADED = Number(process.env.BENCH_LOADED ?? 100); // chats per round at concurrency 50
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 50);
const TOKENS = Number(process.env.BENCH_TOKENS ?? 40);
const CADENCE_MS = Number(process.env.BENCH_CADENCE_MS ?? 20);
const WARMUP = 20;
const PORT = Number(process.env.BENCH_PORT ?? 3291);

const fake = await startFakeOpenAI();
const answer = Array.from({ length: TOKENS }, (_, i) => `kq${i}`).join(" ");
fake.setDefault({ kind: "text", text: answer, chunkDelayMs: CADENCE_MS, usage: { input: 40, output: TOKENS } });
setInterval(() => fake.requests.splice(0), 1000).unref();

const env = serverEnv(PORT);
for (const name of ["GOOGLE_GENERATIVE_AI_API_KEY", "OPENAI_COMPATIBLE_BASE_URL", "KEEL_ROUTES"]) delete env[name];
env.OPENAI_API_KEY = "bench";
env.OPENAI_BASE_URL = fake.url;
const dropDatabase = await freshDatabase(env, "keel_bench_chat");

// Seed: a workspace whose limits never refuse (still enforced), and a titled, ungrounded
// conversation for every chat the run will make.
const perRound = SERIAL + LOADED;
const needed = WARMUP + ROUNDS * perRound;
const { seedBenchWorkspace } = await import("./workspace");
const { createConversation, renameConversation } = await import("../lib/chat/conversations");
const { closeDatabase } = await import("../db/client");
const { ctx, email, password } = await seedBenchWorkspace("Bench chat", `bench-chat-${Date.now()}@example.test`);
const conversations: string[] = [];
for (let i = 0; i < needed; i++) {
  const conversation = await createConversation(ctx, { collectionIds: [] });
  await renameConversation(ctx, conversation.id, `Bench ${i}`);
  conversations.push(conversation.id);
}
await closeDatabase();

const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

/** BENCH_DUMP=1 prints one action response, to see what the server sends. */
let dumpNext = process.env.BENCH_DUMP === "1";

interface ChatSample {
  ok: boolean;
  /** Until the response's first byte (through Keel: the action has returned the stream). */
  firstByteMs: number;
  firstTokenMs: number;
  tokensPerSecond: number;
  words: number;
}

/** POSTs and times the words of the answer as they arrive in the response body. */
function timedPost(url: string, body: string, headers: Record<string, string>): Promise<ChatSample> {
  const target = new URL(url);
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        agent,
        host: target.hostname,
        port: target.port,
        path: target.pathname,
        method: "POST",
        headers: { "content-length": Buffer.byteLength(body), ...headers },
      },
      (response) => {
        let text = "";
        let seen = 0;
        let first = -1;
        let last = -1;
        let firstByte = -1;
        response.setEncoding("utf8");
        response.on("data", (chunk: string) => {
          if (firstByte < 0) firstByte = performance.now();
          text += chunk;
          const words = text.match(/kq\d+/g)?.length ?? 0;
          if (words > seen) {
            const now = performance.now();
            if (first < 0) first = now;
            last = now;
            seen = words;
          }
        });
        response.on("end", () => {
          if (dumpNext && headers["next-action"]) {
            dumpNext = false;
            process.stderr.write(`one action response (${response.statusCode}, ${JSON.stringify(response.headers)}):\n${text.slice(0, 3000)}\n`);
          }
          const ok = response.statusCode === 200 && seen === TOKENS && text.includes(`kq${TOKENS - 1}`);
          resolve({
            ok,
            firstByteMs: firstByte - started,
            firstTokenMs: first - started,
            tokensPerSecond: last > first ? ((seen - 1) / (last - first)) * 1000 : NaN,
            words: seen,
          });
        });
        response.on("error", reject);
      },
    );
    request.on("error", reject);
    request.end(body);
  });
}

let nonce = 0;
const question = () => `Bench question ${process.pid}-${nonce++}: what happened?`;

const direct = () =>
  timedPost(
    `${fake.url}/chat/completions`,
    JSON.stringify({ model: "gpt-4.1", stream: true, stream_options: { include_usage: true }, messages: [{ role: "user", content: question() }] }),
    { "content-type": "application/json" },
  );

const server = await startAppServer(PORT, env);
let results: Map<string, { direct: ChatSample[][]; keel: ChatSample[][] }> | null = null;
try {
  const manifest = JSON.parse(readFileSync(".next/server/server-reference-manifest.json", "utf8")) as {
    node: Record<string, { filename: string; exportedName: string }>;
  };
  const askActionId = Object.entries(manifest.node).find(([, v]) => v.filename === "app/(app)/chat/actions.ts" && v.exportedName === "askAction")?.[0];
  if (!askActionId) throw new Error("askAction is not in the build's server-reference manifest");
  const cookie = await signInOverHttp(server.url, email, password);
  let nextConversation = 0;
  const keel = () => {
    const conversationId = conversations[nextConversation++];
    if (!conversationId) throw new Error("ran out of seeded conversations");
    // What the browser sends for `actions.ask(conversationId, { kind: "ask", question })`.
    return timedPost(`${server.url}/chat/${conversationId}`, JSON.stringify([conversationId, { kind: "ask", question: question() }]), {
      "content-type": "text/plain;charset=UTF-8",
      accept: "text/x-component",
      "next-action": askActionId,
      origin: server.url,
      cookie,
    });
  };

  async function run(count: number, concurrency: number, make: () => Promise<ChatSample>): Promise<ChatSample[]> {
    const samples: ChatSample[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: Math.min(concurrency, count) }, async () => {
        while (next++ < count) samples.push(await make());
      }),
    );
    const bad = samples.filter((s) => !s.ok);
    if (bad.length > 0) throw new Error(`${bad.length} of ${count} chats did not stream the whole answer (words seen: ${bad.map((s) => s.words).join(", ")})`);
    return samples;
  }

  await run(WARMUP, 10, keel);
  await run(WARMUP, 10, direct);
  results = new Map();
  for (let round = 1; round <= ROUNDS; round++) {
    for (const [concurrency, count] of [
      [1, SERIAL],
      [CONCURRENCY, LOADED],
    ] as const) {
      const label = `${concurrency} concurrent chat${concurrency === 1 ? "" : "s"}`;
      if (!results.has(label)) results.set(label, { direct: [], keel: [] });
      const entry = results.get(label)!;
      const order = round % 2 === 0 ? (["keel", "direct"] as const) : (["direct", "keel"] as const);
      for (const side of order) entry[side].push(await run(count, concurrency, side === "keel" ? keel : direct));
    }
    process.stderr.write(`round ${round}/${ROUNDS} done\n`);
  }
} finally {
  await server.stop();
  await fake.close();
  await dropDatabase();
}

const perRoundMedian = (rounds: ChatSample[][], pick: (s: ChatSample) => number) => median(rounds.map((samples) => median(samples.map(pick))));
const f = (n: number, digits = 1) => n.toFixed(digits).padStart(9);
console.log(
  `\nKeel chat benchmark — ${ROUNDS} rounds (${SERIAL} chats at c1, ${LOADED} at c${CONCURRENCY} per round and side), ${TOKENS} tokens per answer every ${CADENCE_MS} ms; ` +
    `database: ${process.env.BENCH_DATABASE_URL || process.env.TEST_DATABASE_URL ? "PostgreSQL" : "embedded PGlite"}; load average ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")}`,
);
console.log(
  `${"scenario".padEnd(22)} ${"TTFT direct".padStart(11)} ${"TTFT Keel".padStart(9)} ${"ratio".padStart(7)} ${"Keel 1st byte".padStart(13)} ${"tok/s direct".padStart(12)} ${"tok/s Keel".padStart(10)} ${"ratio".padStart(7)}`,
);
for (const [label, r] of results ?? []) {
  const ttftDirect = perRoundMedian(r.direct, (s) => s.firstTokenMs);
  const ttftKeel = perRoundMedian(r.keel, (s) => s.firstTokenMs);
  const rateDirect = perRoundMedian(r.direct, (s) => s.tokensPerSecond);
  const rateKeel = perRoundMedian(r.keel, (s) => s.tokensPerSecond);
  console.log(
    `${label.padEnd(22)} ${f(ttftDirect, 2).padStart(11)} ${f(ttftKeel, 2)} ${(ttftKeel / ttftDirect).toFixed(2).padStart(7)} ${f(
      perRoundMedian(r.keel, (s) => s.firstByteMs),
      2,
    ).padStart(13)} ${f(rateDirect).padStart(12)} ${f(rateKeel).padStart(10)} ${(rateKeel / rateDirect).toFixed(2).padStart(7)}`,
  );
}
console.log(
  "TTFT and Keel's first byte (the action has returned; the model call is under way) in ms, median per chat; tokens/s per chat; ratio = through Keel / direct.",
);
const one = results?.get("1 concurrent chat");
const loaded = results?.get(`${CONCURRENCY} concurrent chats`);
if (one && loaded) {
  const ttftOne = perRoundMedian(one.keel, (s) => s.firstTokenMs);
  const ttftLoaded = perRoundMedian(loaded.keel, (s) => s.firstTokenMs);
  writeBenchSummary(
    "chat",
    [
      { measure: "TTFT, 1 chat", figure: `${ttftOne.toFixed(1)} ms`, target: "—", met: null },
      {
        measure: `TTFT, ${CONCURRENCY} chats at once`,
        figure: `${ttftLoaded.toFixed(1)} ms`,
        target: `≤ 2 × 1 chat's (${(2 * ttftOne).toFixed(1)} ms)`,
        met: ttftLoaded <= 2 * ttftOne,
      },
      {
        measure: `tokens/s per chat, ${CONCURRENCY} at once`,
        figure: `${perRoundMedian(loaded.keel, (s) => s.tokensPerSecond).toFixed(1)} (direct ${perRoundMedian(loaded.direct, (s) => s.tokensPerSecond).toFixed(1)})`,
        target: "—",
        met: null,
      },
    ],
    `${ROUNDS} round${ROUNDS === 1 ? "" : "s"}, ${SERIAL} chats at c1 and ${LOADED} at c${CONCURRENCY} per round`,
  );
}
process.exit(0);
