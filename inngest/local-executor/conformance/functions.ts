// The functions the conformance suite records: one per operation Keel's jobs use (step.run,
// step.sleep, step.sendEvent, parallel steps, retries, a step that fails for good with onFailure,
// NonRetriableError, cancelOn, a cron, a concurrency key, a run past the step limit), and the three
// the executor refuses (step.waitForEvent, step.invoke, step.ai.infer: see scenarios.ts). Each is
// deterministic, so the real serve() handler answers a recorded request the same way every time.
import { createHash } from "node:crypto";
import { Inngest, NonRetriableError } from "inngest";
import { serve } from "inngest/next";
import { LOCAL_EXECUTOR_ORIGIN } from "../event-intake";
import type { ServeHandler } from "../registry";

/** What Inngest's event API answers `step.sendEvent`, with ids derived from the events sent. */
async function eventApi(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
  const request = new Request(input, init);
  const events = (await request.json()) as Array<{ name: string; data?: unknown }>;
  const ids = events.map((event) =>
    createHash("sha256")
      .update(JSON.stringify([event.name, event.data ?? {}]))
      .digest("hex")
      .slice(0, 26)
      .toUpperCase(),
  );
  return Response.json({ ids, status: 200 });
}

const conformanceApp = new Inngest({ id: "conformance", isDev: true, baseUrl: LOCAL_EXECUTOR_ORIGIN, fetch: eventApi });

const steps = conformanceApp.createFunction({ id: "steps", triggers: [{ event: "conformance/steps" }] }, async ({ step }) => {
  const a = await step.run("a", () => 1);
  const b = await step.run("b", () => a + 1);
  const c = await step.run("c", () => ({ total: a + b, items: ["x", "y"] }));
  return { sum: c.total, items: c.items };
});

const sleep = conformanceApp.createFunction({ id: "sleep", triggers: [{ event: "conformance/sleep" }] }, async ({ step }) => {
  await step.run("before", () => "before");
  await step.sleep("nap", "10s");
  return step.run("after", () => "after");
});

const sendEvent = conformanceApp.createFunction({ id: "send-event", triggers: [{ event: "conformance/send-event" }] }, async ({ event, step }) => {
  await step.sendEvent("tell", { name: "conformance/told", data: { from: event.data.key } });
  return "sent";
});

const parallel = conformanceApp.createFunction({ id: "parallel", triggers: [{ event: "conformance/parallel" }] }, async ({ step }) => {
  const [x, y] = await Promise.all([step.run("x", () => "x"), step.run("y", () => "y")]);
  const z = await step.run("z", () => `${x}${y}z`);
  return z;
});

const retry = conformanceApp.createFunction({ id: "retry", retries: 2, triggers: [{ event: "conformance/retry" }] }, async ({ step, attempt }) => {
  await step.run("before", () => "before");
  return step.run("flaky", () => {
    if (attempt < 2) throw new Error(`not yet (attempt ${attempt})`);
    return `worked at attempt ${attempt}`;
  });
});

const fails = conformanceApp.createFunction(
  {
    id: "fails",
    retries: 1,
    triggers: [{ event: "conformance/fails" }],
    onFailure: async ({ event, error, step }) => {
      return step.run("report", () => ({ failed: event.data.function_id, because: error.message }));
    },
  },
  async ({ step }) => {
    await step.run("always-fails", () => {
      throw new Error("boom");
    });
  },
);

const nonRetriable = conformanceApp.createFunction(
  { id: "non-retriable", retries: 3, triggers: [{ event: "conformance/non-retriable" }] },
  async ({ step }) => {
    await step.run("refuses", () => {
      throw new NonRetriableError("not this input");
    });
  },
);

const cancel = conformanceApp.createFunction(
  { id: "cancel", triggers: [{ event: "conformance/cancel" }], cancelOn: [{ event: "conformance/cancelled", match: "data.key" }] },
  async ({ step }) => {
    await step.run("first", () => "first");
    await step.run("second", () => "second");
  },
);

const cron = conformanceApp.createFunction({ id: "cron", triggers: [{ cron: "TZ=UTC 0 0 1 1 *" }] }, async ({ event, step }) => {
  return step.run("tick", () => `ticked for ${String((event.data as { scheduledAt?: string }).scheduledAt)}`);
});

const concurrency = conformanceApp.createFunction(
  { id: "concurrency", concurrency: { key: "event.data.tenant", limit: 1 }, triggers: [{ event: "conformance/concurrency" }] },
  async ({ event, step }) => {
    await step.run("only", () => `for ${String(event.data.key)}`);
  },
);

const loop = conformanceApp.createFunction({ id: "loop", triggers: [{ event: "conformance/loop" }] }, async ({ step }) => {
  for (let i = 0; i < 5; i++) await step.run(`step-${i}`, () => i);
  return "looped";
});

const waitForEvent = conformanceApp.createFunction({ id: "wait-for-event", triggers: [{ event: "conformance/wait-for-event" }] }, async ({ step }) => {
  await step.run("before", () => "before");
  const approval = await step.waitForEvent("approval", { event: "conformance/approved", match: "data.key", timeout: "1h" });
  return step.run("after", () => (approval ? `approved by ${String(approval.data.by)}` : "timed out"));
});

const invoke = conformanceApp.createFunction({ id: "invoke", triggers: [{ event: "conformance/invoke" }] }, async ({ step }) => {
  const result = await step.invoke("call-steps", { function: steps, data: { from: "invoke" } });
  return { invoked: result };
});

const aiInfer = conformanceApp.createFunction({ id: "ai-infer", triggers: [{ event: "conformance/ai-infer" }] }, async ({ step }) => {
  const answer = await step.ai.infer("ask", {
    // A key that opens nothing: the request is only recorded, never sent to a provider.
    model: step.ai.models.openai({ model: "gpt-4o-mini", apiKey: "sk-conformance-not-a-key", baseUrl: "http://provider.invalid/v1/" }),
    body: { messages: [{ role: "user", content: "Say yes." }] },
  });
  return { answer: answer.choices[0]?.message.content ?? null };
});

const conformanceFunctions = [steps, sleep, sendEvent, parallel, retry, fails, nonRetriable, cancel, cron, concurrency, loop, waitForEvent, invoke, aiInfer];

/** The real serve() handler of the conformance app (the Next.js one, as Keel serves), called in-process. */
export function conformanceHandler(): ServeHandler {
  const handler = serve({ client: conformanceApp, functions: conformanceFunctions });
  // A NextRequest is a Request with extras the handler does not read.
  return (request) => handler(request as Parameters<typeof handler>[0], undefined);
}
