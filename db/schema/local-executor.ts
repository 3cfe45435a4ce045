// The local executor's queue (inngest/local-executor/): system tables, not tenant-owned. Events as
// the client sent them, the functions the serve handler reported, runs with their memoised steps
// and leases, and cron schedules. Reached only through withSystem; the app role cannot see them.
import { sql } from "drizzle-orm";
import { boolean, index, integer, jsonb, pgEnum, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";

/** An event as Inngest's event API receives it. */
export interface LocalEvent {
  id: string;
  name: string;
  data: Record<string, unknown>;
  ts: number;
  user?: Record<string, unknown>;
  v?: string;
}

/** A memoised step result as Inngest stores it: `{ data }`, `{ error }`, or null for a sleep that ended. */
export type MemoisedStep = { data: unknown } | { error: Record<string, unknown> } | null;

/** What the serve handler reported for one function (Inngest's sync payload, validated later). */
export const localExecutorFunctions = pgTable("local_executor_functions", {
  id: text("id").primaryKey(),
  appId: text("app_id").notNull(),
  config: jsonb("config").$type<Record<string, unknown>>().notNull(),
  registeredAt: timestamp("registered_at", { withTimezone: true }).notNull().defaultNow(),
});

export const localExecutorEvents = pgTable(
  "local_executor_events",
  {
    id: text("id").primaryKey(),
    name: text("name").notNull(),
    payload: jsonb("payload").$type<LocalEvent>().notNull(),
    receivedAt: timestamp("received_at", { withTimezone: true }).notNull().defaultNow(),
    /** Set once the event has started the runs it triggers and cancelled those it cancels. */
    routedAt: timestamp("routed_at", { withTimezone: true }),
  },
  (t) => [
    index("local_executor_events_unrouted_idx")
      .on(t.receivedAt)
      .where(sql`${t.routedAt} is null`),
  ],
);

export const localExecutorRunStatuses = ["active", "completed", "failed", "cancelled"] as const;
export type LocalExecutorRunStatus = (typeof localExecutorRunStatuses)[number];
export const localExecutorRunStatus = pgEnum("local_executor_run_status", localExecutorRunStatuses);

export const localExecutorRuns = pgTable(
  "local_executor_runs",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    functionId: text("function_id").notNull(),
    eventId: text("event_id").notNull(),
    event: jsonb("event").$type<LocalEvent>().notNull(),
    status: localExecutorRunStatus("status").notNull().default("active"),
    /** Hashed step id → result: what every request sends back as `steps`. */
    steps: jsonb("steps").$type<Record<string, MemoisedStep>>().notNull().default({}),
    /** Hashed step ids in the order they completed (`ctx.stack`). */
    stack: jsonb("stack").$type<string[]>().notNull().default([]),
    /** Steps the SDK planned in its last answer (parallel steps): each not yet memoised is requested in turn. */
    planned: jsonb("planned").$type<string[]>().notNull().default([]),
    /** Set once an answer held several ops: requests then ask the SDK to plan every step (migration 0043). */
    forceStepPlan: boolean("force_step_plan").notNull().default(false),
    /** Attempt of the next request; back to 0 after each step that completes. */
    attempt: integer("attempt").notNull().default(0),
    /** How many of the current step's attempts ended with the lease running out (migration 0023). */
    lostLeases: integer("lost_leases").notNull().default(0),
    maxAttempts: integer("max_attempts").notNull(),
    requestVersion: integer("request_version"),
    /** Seconds of head start in the queue (`priority.run`), from -600 to 600. */
    priority: integer("priority").notNull().default(0),
    concurrencyKeys: text("concurrency_keys")
      .array()
      .notNull()
      .default(sql`'{}'::text[]`),
    concurrencyLimits: integer("concurrency_limits")
      .array()
      .notNull()
      .default(sql`'{}'::integer[]`),
    /** When the next request may be made (now, after a sleep, after a retry's backoff). */
    runAt: timestamp("run_at", { withTimezone: true }).notNull(),
    /** Held while one executor makes the run's next request; it expires if that process dies. */
    leaseToken: uuid("lease_token"),
    leasedUntil: timestamp("leased_until", { withTimezone: true }),
    output: jsonb("output"),
    error: jsonb("error").$type<Record<string, unknown>>(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
    finishedAt: timestamp("finished_at", { withTimezone: true }),
  },
  (t) => [
    // One run per function and triggering event: routing an event twice starts nothing twice.
    uniqueIndex("local_executor_runs_trigger_idx").on(t.functionId, t.eventId),
    index("local_executor_runs_due_idx")
      .on(t.runAt)
      .where(sql`${t.status} = 'active'`),
    index("local_executor_runs_concurrency_idx")
      .using("gin", t.concurrencyKeys)
      .where(sql`${t.leasedUntil} is not null`),
  ],
);
export type LocalExecutorRun = typeof localExecutorRuns.$inferSelect;

export const localExecutorCrons = pgTable(
  "local_executor_crons",
  {
    functionId: text("function_id")
      .notNull()
      .references(() => localExecutorFunctions.id, { onDelete: "cascade" }),
    schedule: text("schedule").notNull(),
    nextAt: timestamp("next_at", { withTimezone: true }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.functionId, t.schedule] })],
);
