// Registration, as an Inngest server syncs an app: a PUT to the serve handler asking for an
// in-band sync, whose answer lists the app's functions (triggers, step URL, retries, concurrency,
// priority, cancellation, and each `onFailure` as its own function on `inngest/function.failed`).
// The functions go into the database, so any executor can route events to any app's functions.
import { and, eq, inArray, notInArray } from "drizzle-orm";
import { z } from "zod";
import type { Tx } from "@/db/client";
import { localExecutorCrons, localExecutorFunctions } from "@/db/schema";
import { withSystem } from "@/db/scope";
import { log } from "@/lib/observability/log";
import { LOCAL_EXECUTOR_ORIGIN } from "./event-intake";
import { planFunction, type FunctionPlan } from "./function-plan";

export type ServeHandler = (request: Request) => Promise<Response>;

const SERVE_PATH = "/api/inngest";

const inBandSync = z.looseObject({ app_id: z.string().min(1), functions: z.array(z.looseObject({ id: z.string().min(1) })) });

export interface Registration {
  appId: string;
  functions: Array<Record<string, unknown> & { id: string }>;
}

/** Asks the serve handler, in-process, for its app and functions. */
export async function readRegistration(handler: ServeHandler): Promise<Registration> {
  const url = `${LOCAL_EXECUTOR_ORIGIN}${SERVE_PATH}`;
  const response = await handler(
    new Request(url, { method: "PUT", headers: { "content-type": "application/json", "x-inngest-sync-kind": "in_band" }, body: JSON.stringify({ url }) }),
  );
  const text = await response.text();
  const parsed = response.status === 200 && response.headers.get("x-inngest-sync-kind") === "in_band" ? inBandSync.safeParse(JSON.parse(text)) : null;
  if (!parsed?.success) {
    throw new Error(`local executor: the serve handler refused the in-band sync (HTTP ${response.status}): ${text.slice(0, 500)}`);
  }
  return { appId: parsed.data.app_id, functions: parsed.data.functions };
}

/** Stores the app's functions (replacing what it registered before) and its cron schedules. */
export async function saveRegistration(registration: Registration, now: Date): Promise<FunctionPlan[]> {
  const plans = registration.functions.map((config) => planFunction(registration.appId, config));
  await withSystem("local executor: register an app's functions", async (tx) => {
    const ids = plans.map((plan) => plan.id);
    await tx
      .delete(localExecutorFunctions)
      .where(and(eq(localExecutorFunctions.appId, registration.appId), ids.length ? notInArray(localExecutorFunctions.id, ids) : undefined));
    for (const config of registration.functions) {
      await tx
        .insert(localExecutorFunctions)
        .values({ id: config.id, appId: registration.appId, config, registeredAt: now })
        .onConflictDoUpdate({ target: localExecutorFunctions.id, set: { appId: registration.appId, config, registeredAt: now } });
    }
    for (const plan of plans) {
      const schedules = plan.crons.map((c) => c.schedule);
      await tx
        .delete(localExecutorCrons)
        .where(and(eq(localExecutorCrons.functionId, plan.id), schedules.length ? notInArray(localExecutorCrons.schedule, schedules) : undefined));
      // An existing schedule keeps its next time: a restart neither skips nor repeats a tick.
      for (const { schedule, cron } of plan.crons) {
        await tx
          .insert(localExecutorCrons)
          .values({ functionId: plan.id, schedule, nextAt: cron.next(now) })
          .onConflictDoNothing();
      }
    }
  });
  return plans;
}

const compiled = new Map<string, FunctionPlan>();

/** Every registered function of every app, compiled (and cached while its config is unchanged). */
export async function loadPlans(tx: Tx, ids?: string[]): Promise<FunctionPlan[]> {
  const rows = await tx
    .select()
    .from(localExecutorFunctions)
    .where(ids ? inArray(localExecutorFunctions.id, ids) : undefined);
  return rows.flatMap((row) => {
    const key = `${row.appId}\n${JSON.stringify(row.config)}`;
    let plan = compiled.get(key);
    if (!plan) {
      try {
        plan = planFunction(row.appId, row.config);
      } catch (error) {
        // Another app's config this version cannot read: its events start nothing, and the log says so.
        log.error({ err: error, functionId: row.id }, "local executor: a registered function's config is unreadable; skipping it");
        return [];
      }
      compiled.set(key, plan);
    }
    return [plan];
  });
}
