// Registration, as an Inngest server syncs an app: a PUT to the serve handler asking for an
// in-band sync, whose answer lists the app's functions (triggers, step URL, retries, concurrency,
// priority, cancellation, and each `onFailure` as its own function on `inngest/function.failed`).
// The functions are stored, so any executor can route events to any app's functions.
import { z } from "zod";
import { LOCAL_EXECUTOR_ORIGIN } from "./event-intake";
import { planFunction, type FunctionPlan } from "./function-plan";
import type { ExecutorStore, StoreTransaction } from "./store";
import type { ExecutorLogger } from "./types";

export type ServeHandler = (request: Request) => Promise<Response>;

const SERVE_PATH = "/api/inngest";

const inBandSync = z.looseObject({ app_id: z.string().min(1), functions: z.array(z.looseObject({ id: z.string().min(1) })) });

export interface Registration {
  appId: string;
  functions: Array<Record<string, unknown> & { id: string }>;
}

/** The PUT an Inngest server sends to sync an app in-band. */
export function registrationRequest(): Request {
  const url = `${LOCAL_EXECUTOR_ORIGIN}${SERVE_PATH}`;
  return new Request(url, {
    method: "PUT",
    headers: { "content-type": "application/json", "x-inngest-sync-kind": "in_band" },
    body: JSON.stringify({ url }),
  });
}

/** Asks the serve handler, in-process, for its app and functions. */
export async function readRegistration(handler: ServeHandler): Promise<Registration> {
  const response = await handler(registrationRequest());
  const text = await response.text();
  const parsed = response.status === 200 && response.headers.get("x-inngest-sync-kind") === "in_band" ? inBandSync.safeParse(JSON.parse(text)) : null;
  if (!parsed?.success) {
    throw new Error(`local executor: the serve handler refused the in-band sync (HTTP ${response.status}): ${text.slice(0, 500)}`);
  }
  return { appId: parsed.data.app_id, functions: parsed.data.functions };
}

/** Stores the app's functions (replacing what it registered before) and its cron schedules. */
export async function saveRegistration(store: ExecutorStore, registration: Registration, now: Date): Promise<FunctionPlan[]> {
  const plans = registration.functions.map((config) => planFunction(registration.appId, config));
  await store.transaction("register an app's functions", async (tx) => {
    await tx.replaceFunctions(
      registration.appId,
      registration.functions.map((config) => ({ id: config.id, config })),
      now,
    );
    // An existing schedule keeps its next time: a restart neither skips nor repeats a tick.
    for (const plan of plans)
      await tx.syncCrons(
        plan.id,
        plan.crons.map(({ schedule, cron }) => ({ schedule, nextAt: cron.next(now) })),
      );
  });
  return plans;
}

const compiled = new Map<string, FunctionPlan>();

/** Every registered function of every app, compiled (and cached while its config is unchanged). */
export async function loadPlans(tx: StoreTransaction, logger: ExecutorLogger, ids?: string[]): Promise<FunctionPlan[]> {
  return (await tx.loadFunctions(ids)).flatMap((row) => {
    const key = `${row.appId}\n${JSON.stringify(row.config)}`;
    let plan = compiled.get(key);
    if (!plan) {
      try {
        plan = planFunction(row.appId, row.config);
      } catch (error) {
        // Another app's config this version cannot read: its events start nothing, and the log says so.
        logger.error({ err: error, functionId: row.id }, "local executor: a registered function's config is unreadable; skipping it");
        return [];
      }
      compiled.set(key, plan);
    }
    return [plan];
  });
}
