// Helpers for tests of the local executor: executors with test-speed settings, the runs it stored,
// waiting for a condition, and gates a step can wait on.
import { eq } from "drizzle-orm";
import { vi } from "vitest";
import type { NextRequest } from "next/server";
import { serve } from "inngest/next";
import type { Inngest, InngestFunction } from "inngest";
import { localExecutorRuns } from "@/db/schema";
import { withSystem } from "@/db/scope";
import type { LocalExecutor, LocalExecutorOptions } from "@/inngest/local-executor";
import { createKeelLocalExecutor } from "@/inngest/local-executor/keel";

const testSettings = { sleepScale: 0.01, pollMs: 200, leaseMs: 5_000, slots: 4 };

/** The real serve() handler for `functions`, as the executor calls it. */
export function serveHandler(client: Inngest.Any, functions: InngestFunction.Any[]): LocalExecutorOptions["handler"] {
  const handler = serve({ client, functions });
  return (request) => handler(request as NextRequest, undefined);
}

const started = new Set<LocalExecutor>();

export async function startExecutor(
  handler: LocalExecutorOptions["handler"],
  options: Omit<LocalExecutorOptions, "handler" | "store" | "logger"> = {},
): Promise<LocalExecutor> {
  const executor = createKeelLocalExecutor({ handler, ...options, settings: { ...testSettings, ...options.settings } });
  await executor.start();
  started.add(executor);
  return executor;
}

export async function stopExecutors(): Promise<void> {
  await Promise.all([...started].map((executor) => executor.stop({ graceMs: 5_000 })));
  started.clear();
}

export function runsOf(functionId: string) {
  return withSystem("test: read the local executor's runs", (tx) => tx.select().from(localExecutorRuns).where(eq(localExecutorRuns.functionId, functionId)));
}

/**
 * Vitest's `vi.waitFor`, keyed on a value: the executor tests ask for "the run once it exists" or
 * "true once it happened", so undefined and false mean "not yet" (vi.waitFor alone only retries on throw).
 */
export function eventually<T>(check: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 20_000): Promise<T> {
  return vi.waitFor(
    async () => {
      const value = await check();
      if (value === undefined || value === false) throw new Error(`condition not met within ${timeoutMs} ms`);
      return value;
    },
    { timeout: timeoutMs, interval: 25 },
  );
}

/** A run of `functionId` in a final state whose event has `data.key === key`. */
export function finishedRun(functionId: string, key: string, timeoutMs?: number) {
  return eventually(async () => (await runsOf(functionId)).find((run) => run.event.data.key === key && run.status !== "active"), timeoutMs);
}

/** Promises a step can wait on, opened by the test. */
export class Gates {
  private readonly gates = new Map<string, { promise: Promise<void>; open: () => void }>();

  private gate(key: string) {
    let gate = this.gates.get(key);
    if (!gate) {
      let open!: () => void;
      const promise = new Promise<void>((resolve) => (open = resolve));
      gate = { promise, open };
      this.gates.set(key, gate);
    }
    return gate;
  }

  wait(key: string): Promise<void> {
    return this.gate(key).promise;
  }

  open(key: string): void {
    this.gate(key).open();
  }
}
