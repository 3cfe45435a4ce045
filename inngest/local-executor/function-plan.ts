// A function's registration (the config its serve handler reports, as Inngest's server receives
// it) turned into what the local executor acts on: which events and crons start it, how many
// attempts a request gets, its concurrency keys, priority and cancellations. What the executor
// cannot honour (throttle, debounce, batching, rate limits, idempotency, singleton, timeouts,
// richer expressions) is named in `unsupported`, and every run of that function fails with it.
import { z } from "zod";
import type { ExecutorEvent } from "./types";
import { parseCron, type CronSchedule } from "./cron";
import { compileCondition, compileValue } from "./expressions";
import { UnsupportedByLocalExecutor } from "./unsupported";

const concurrencyOption = z.object({ limit: z.number(), key: z.string().optional(), scope: z.enum(["fn", "env", "account"]).optional() });

const functionConfigSchema = z.looseObject({
  id: z.string().min(1),
  name: z.string().optional(),
  triggers: z.array(z.object({ event: z.string().optional(), expression: z.string().optional(), cron: z.string().optional(), jitter: z.string().optional() })),
  steps: z.record(
    z.string(),
    z.object({
      id: z.string(),
      name: z.string(),
      runtime: z.object({ type: z.string(), url: z.string() }),
      retries: z.object({ attempts: z.number().int().min(0).optional() }).optional(),
    }),
  ),
  concurrency: z.union([z.number(), concurrencyOption, z.array(concurrencyOption)]).optional(),
  priority: z.object({ run: z.string().optional() }).optional(),
  cancel: z.array(z.object({ event: z.string(), if: z.string().optional(), timeout: z.string().optional() })).optional(),
});

const understoodKeys = new Set(["id", "name", "triggers", "steps", "concurrency", "priority", "cancel"]);

/** Inngest's default when a function sets no `retries`. */
const DEFAULT_RETRIES = 4;
export const FUNCTION_FAILED_EVENT = "inngest/function.failed";
export const CRON_EVENT = "inngest/scheduled.timer";

export interface FunctionPlan {
  id: string;
  appId: string;
  /** The step URL the function registered; the executor keeps its query (fnId, stepId). */
  stepUrl: string;
  triggers: Array<{ event: string; matches(event: ExecutorEvent): boolean }>;
  crons: Array<{ schedule: string; cron: CronSchedule }>;
  maxAttempts: number;
  concurrency(event: ExecutorEvent): Array<{ key: string; limit: number }>;
  priority(event: ExecutorEvent): number;
  cancellations: Array<{ event: string; matches(runEvent: ExecutorEvent, cancelEvent: ExecutorEvent): boolean }>;
  /** An `onFailure` handler: its own failures emit no further failure event. */
  isFailureHandler: boolean;
  /** Why the local executor cannot run this function faithfully; every run then fails with it. */
  unsupported: string | null;
}

function eventNameMatches(pattern: string, name: string): boolean {
  return pattern.endsWith("*") ? name.startsWith(pattern.slice(0, -1)) : pattern === name;
}

/** Compiles `build`, turning what the executor refuses into a recorded reason (and `fallback`). */
function guarded<T>(problems: string[], build: () => T, fallback: T): T {
  try {
    return build();
  } catch (error) {
    if (!(error instanceof UnsupportedByLocalExecutor)) throw error;
    problems.push(error.message);
    return fallback;
  }
}

export function planFunction(appId: string, raw: unknown): FunctionPlan {
  const config = functionConfigSchema.parse(raw);
  const problems: string[] = [];
  const unknownKeys = Object.keys(config).filter((key) => !understoodKeys.has(key) && config[key] !== undefined && config[key] !== null);
  if (unknownKeys.length)
    problems.push(new UnsupportedByLocalExecutor(`the function option${unknownKeys.length > 1 ? "s" : ""} ${unknownKeys.join(", ")}`).message);

  const triggers = config.triggers.flatMap(({ event: name, expression }) => {
    if (name === undefined) return [];
    const condition = expression
      ? guarded(
          problems,
          () => compileCondition(expression),
          () => true,
        )
      : () => true;
    return [{ event: name, matches: (event: ExecutorEvent) => eventNameMatches(name, event.name) && condition({ event }) }];
  });
  const crons = config.triggers.flatMap(({ cron: schedule, jitter }) => {
    if (schedule === undefined) return [];
    if (jitter) problems.push(new UnsupportedByLocalExecutor(`cron jitter (${schedule})`).message);
    const cron = guarded(
      problems,
      () => {
        const parsed = parseCron(schedule);
        parsed.next(new Date()); // a schedule that never fires is refused now, not at its first tick
        return parsed;
      },
      null,
    );
    return cron ? [{ schedule, cron }] : [];
  });

  const step = Object.values(config.steps)[0];
  if (!step || Object.keys(config.steps).length !== 1) problems.push(new UnsupportedByLocalExecutor("a function with other than one step entry").message);

  const concurrencyOptions = config.concurrency === undefined ? [] : Array.isArray(config.concurrency) ? config.concurrency : [config.concurrency];
  const concurrencyRules = concurrencyOptions.flatMap((option) => {
    const { limit, key, scope = "fn" } = typeof option === "number" ? { limit: option } : option;
    if (limit <= 0) return [];
    const value = key
      ? guarded(
          problems,
          () => compileValue(key),
          () => "",
        )
      : () => "";
    // Every app served here shares one environment, so env and account scopes mean the same.
    const prefix = scope === "fn" ? `fn:${config.id}` : `env:${key ?? ""}`;
    return [{ limit, keyOf: (event: ExecutorEvent) => `${prefix}:${JSON.stringify(value({ event }) ?? null)}` }];
  });

  const priorityOf = config.priority?.run
    ? guarded(
        problems,
        () => compileValue(config.priority!.run!),
        () => 0,
      )
    : () => 0;

  const cancellations = (config.cancel ?? []).map((cancel) => {
    if (cancel.timeout) problems.push(new UnsupportedByLocalExecutor(`a cancellation timeout (cancelOn ${cancel.event}, ${cancel.timeout})`).message);
    const condition = cancel.if
      ? guarded(
          problems,
          () => compileCondition(cancel.if!, ["event", "async"]),
          () => false,
        )
      : () => true;
    return { event: cancel.event, matches: (runEvent: ExecutorEvent, cancelEvent: ExecutorEvent) => condition({ event: runEvent, async: cancelEvent }) };
  });

  return {
    id: config.id,
    appId,
    stepUrl: step?.runtime.url ?? "",
    triggers,
    crons,
    maxAttempts: (step?.retries?.attempts ?? DEFAULT_RETRIES) + 1,
    concurrency: (event) => concurrencyRules.map((rule) => ({ key: rule.keyOf(event), limit: rule.limit })),
    priority: (event) => {
      const value = priorityOf({ event });
      return typeof value === "number" && Number.isFinite(value) ? Math.max(-600, Math.min(600, Math.trunc(value))) : 0;
    },
    cancellations,
    isFailureHandler: triggers.some((trigger) => trigger.event === FUNCTION_FAILED_EVENT),
    unsupported: problems.length ? problems.join(" ") : null,
  };
}
