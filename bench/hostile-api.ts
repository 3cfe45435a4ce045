// `npm run bench:hostile-api`: the issue's API attacks against two app processes serving /api/v1
// as production workers do (test/api-worker.ts, the router of scripts/serve.ts) on a fresh
// PostgreSQL database (BENCH_DATABASE_URL or TEST_DATABASE_URL), answered by the offline model.
//  1. The oversized JSON schema: two 353-byte calls (minItems 1e9 through a required tool call), one
//     per process; then another workspace's chat completion on each process, timed (30 s at most).
//  2. 6 MB prompts from the official client, paced like an upload over a network (~2 MB/s): how
//     many saw their 413 and how many a connection error; another workspace's request timed meanwhile.
// Prints, per attack: what the attacker saw, how long the bystander waited, usage recorded. Run it on
// any checkout (it uses only what main already had) to compare before and after.
import { spawn, type ChildProcess } from "node:child_process";
import OpenAI from "openai";
import { createTestDatabase, dropTestDatabase } from "../scripts/test-database";

const adminUrl = (process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL)?.trim();
if (!adminUrl) throw new Error("bench/hostile-api.ts needs BENCH_DATABASE_URL or TEST_DATABASE_URL (a local PostgreSQL)");
const databaseUrl = await createTestDatabase(adminUrl, "keel_bench_hostile_api");
process.env.DATABASE_URL = databaseUrl;
delete process.env.OPENAI_API_KEY;
delete process.env.GOOGLE_GENERATIVE_AI_API_KEY;
process.env.KEEL_API_RATE_LIMITS = "off";

const { openDatabase } = await import("../db/engine");
await (await openDatabase({ kind: "postgres", url: databaseUrl, maxConnections: 2 })).close();
const { createTenant } = await import("../test/fixtures");
const { createApiKey } = await import("../lib/auth/api-keys");
const { eventsOf } = await import("../test/gateway-harness");
const { closeDatabase } = await import("../db/client");

const attacker = await createTenant("Attacker");
const victim = await createTenant("Bystander");
const attackerKey = (await createApiKey(attacker, "attack")).key;
const victimKey = (await createApiKey(victim, "bystander")).key;

const workers: ChildProcess[] = [];
async function startWorker(): Promise<number> {
  const child = spawn(process.execPath, ["--import", "tsx", "test/api-worker.ts"], { env: process.env, stdio: ["ignore", "pipe", "inherit"] });
  workers.push(child);
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const match = /\{"port":(\d+)\}/.exec(out);
      if (match) resolve(Number(match[1]));
    });
    child.once("exit", (code) => reject(new Error(`worker exited (${code})`)));
  });
}
const ports = await Promise.all([startWorker(), startWorker()]);
const client = (port: number, apiKey: string, options: Partial<ConstructorParameters<typeof OpenAI>[0]> = {}) =>
  new OpenAI({ baseURL: `http://127.0.0.1:${port}/api/v1`, apiKey, maxRetries: 0, timeout: 30_000, ...options });

const describeError = (error: unknown) =>
  error instanceof OpenAI.APIConnectionTimeoutError
    ? "no answer (timed out)"
    : error instanceof OpenAI.APIError && error.status
      ? `${error.status} ${(error.error as { code?: string } | undefined)?.code ?? ""}`.trim()
      : error instanceof OpenAI.APIConnectionError
        ? "Connection error"
        : String(error);

async function bystander(port: number): Promise<string> {
  const started = performance.now();
  try {
    await client(port, victimKey).chat.completions.create({ model: "keel-chat", messages: [{ role: "user", content: "What does Keel meter?" }] });
    return `${Math.round(performance.now() - started)} ms`;
  } catch (error) {
    return `${Math.round(performance.now() - started)} ms (${describeError(error)})`;
  }
}
for (const port of ports) await bystander(port); // each process loads its routes first

const hugeMinItems = { type: "object", properties: { rows: { type: "array", items: { type: "string" }, minItems: 1_000_000_000 } }, required: ["rows"] };
const attacks = ports.map((port) =>
  client(port, attackerKey)
    .chat.completions.create({
      model: "keel-chat",
      messages: [{ role: "user", content: "Fill the rows" }],
      tools: [{ type: "function", function: { name: "fill", parameters: hugeMinItems } }],
      tool_choice: "required",
    })
    .then(
      () => "answered",
      (error: unknown) => describeError(error),
    ),
);
await new Promise((resolve) => setTimeout(resolve, 300));
const waits = await Promise.all(ports.map(bystander));
const seen = await Promise.race([Promise.all(attacks), new Promise<string[]>((resolve) => setTimeout(() => resolve(["still no answer"]), 1_000))]);
console.log(
  `oversized JSON schema ×2 | attacker saw: ${seen.join(", ")} | bystander waited: ${waits.join(", ")} | attacker usage events: ${(await eventsOf(attacker.tenantId)).length}`,
);

// Processes stuck on the schema would answer nothing more: start fresh ones for the second attack.
for (const worker of workers.splice(0)) worker.kill("SIGKILL");
const [port] = await Promise.all([startWorker()]);
await bystander(port!);

function pacedFetch(everyMs: number): typeof fetch {
  return (input, init) => {
    const bytes = Buffer.from(String(init?.body ?? ""));
    let at = 0;
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (at >= bytes.length) return controller.close();
        await new Promise((resolve) => setTimeout(resolve, everyMs));
        controller.enqueue(bytes.subarray(at, at + 65_536));
        at += 65_536;
      },
    });
    const headers = new Headers(init?.headers);
    headers.set("content-length", String(bytes.length));
    return fetch(input, { ...init, headers, body, duplex: "half" } as RequestInit);
  };
}
const sixMegabytes = "All work and no play makes Jack a dull boy. ".repeat(140_000);
const outcomes = new Map<string, number>();
const bystanderWaits: string[] = [];
const paced = client(port!, attackerKey, { fetch: pacedFetch(30) });
for (let i = 0; i < 20; i++) {
  const sending = paced.chat.completions.create({ model: "keel-chat", messages: [{ role: "user", content: sixMegabytes }] }).then(
    () => "answered",
    (error: unknown) => describeError(error),
  );
  if (i % 5 === 0) bystanderWaits.push(await bystander(port!));
  const outcome = await sending;
  outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
}
console.log(
  `6 MB prompt ×20 at ~2 MB/s (maxRetries 0) | attacker saw: ${[...outcomes].map(([o, n]) => `${n} × ${o}`).join(", ")} | bystander waited: ${bystanderWaits.join(", ")} | attacker usage events: ${(await eventsOf(attacker.tenantId)).length}`,
);

for (const worker of workers) worker.kill("SIGKILL");
await closeDatabase();
await dropTestDatabase(adminUrl, databaseUrl);
process.exit(0);
