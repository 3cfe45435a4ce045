// `npm run bench:admin`: the Usage page, the invoice, the CSV export and the Observability page with
// 1,000,000 usage events across 100 tenants (plus jobs and chat answers for the observability page). Creates a PostgreSQL database of its own (BENCH_DATABASE_URL or
// TEST_DATABASE_URL names the server; default the local one), seeds it with generate_series (the
// rollup trigger runs as for any writer), closes the past months, then times each read the page
// makes for the largest and a small tenant: medians over rounds, after a warm-up. Drops the database.
import os from "node:os";
import postgres from "postgres";
import { createTestDatabase, dropTestDatabase } from "../scripts/test-database";
import { seedEvents, seedJobsAndAnswers, seedTenants } from "./admin-seed";
import { median, percentile } from "./load";
import { writeBenchSummary } from "./summary";

const TENANTS = Number(process.env.BENCH_TENANTS ?? 100);
const EVENTS = Number(process.env.BENCH_EVENTS ?? 1_000_000);
const DAYS = Number(process.env.BENCH_DAYS ?? 100);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 9);
const TARGET_MS = 200;

const adminUrl = (process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres").trim();
const databaseUrl = await createTestDatabase(adminUrl, "keel_bench_admin");
process.env.DATABASE_URL = databaseUrl;
process.env.DATABASE_POOL_SIZE = "4";
const owner = postgres(databaseUrl, { max: 1, onnotice: () => {} });
const seconds = (since: number) => `${((performance.now() - since) / 1000).toFixed(1)} s`;

try {
  const { getDatabase, closeDatabase } = await import("../db/client");
  const migrating = performance.now();
  await getDatabase();
  console.log(`migrated in ${seconds(migrating)}`);

  const seeding = performance.now();
  const tenants = await seedTenants(owner, { tenants: TENANTS, events: EVENTS, days: DAYS, membersPerTenant: 12 });
  for (const tenant of tenants) {
    await seedEvents(owner, tenant.id, tenant.events, DAYS);
    await seedJobsAndAnswers(owner, tenant.id, tenant.events, DAYS);
  }
  const seedTime = seconds(seeding);
  const { closeDueBillingPeriods } = await import("../lib/billing/close-periods");
  const closing = performance.now();
  const closed = await closeDueBillingPeriods();
  const closeTime = seconds(closing);
  await owner`vacuum analyze`;
  const [counts] = await owner<Record<"events" | "rollups" | "actors" | "days" | "recent" | "actorDays" | "jobs" | "answers", string>[]>`
    select (select count(*) from usage_events) as events, (select count(*) from usage_rollups) as rollups,
           (select count(*) from usage_actor_rollups) as actors, (select count(*) from usage_member_days) as days,
           (select count(*) from usage_recent_rollups) as recent, (select count(*) from usage_actor_days) as "actorDays",
           (select count(*) from jobs) as jobs, (select count(*) from chat_messages) as answers`;
  console.log(
    `seeded ${counts!.events} events for ${tenants.length} tenants in ${seedTime} (rollups kept by the triggers: ${counts!.rollups} by day/model/feature, ${counts!.actors} by member/key/feature, ${counts!.days} by member/day, ` +
      `${counts!.recent} by 5 minutes/provider, ${counts!.actorDays} by day/feature/actor), ${counts!.jobs} jobs, ${counts!.answers} answers; ` +
      `closed ${closed.periods} past periods in ${closeTime}`,
  );

  const { periodOf, addMonths, monthOf } = await import("../lib/billing/periods");
  const { getAdminUsageReport } = await import("../lib/usage/report");
  const { getMemberUsageReport } = await import("../lib/usage/member-report");
  const { listUsagePeriods } = await import("../lib/usage/periods");
  const { getInvoice } = await import("../lib/billing/invoice");
  const { invoiceCsvResponse } = await import("../lib/billing/invoice-csv-response");
  const { listAuditEntries } = await import("../lib/tenancy/audit-log");
  const { readObservability } = await import("../lib/observability/metrics");
  const { findOperator } = await import("../lib/auth/operator");
  const { listTenantsForOperator } = await import("../lib/operator/tenant-plans");

  const current = periodOf(new Date());
  const previous = addMonths(current, -1);
  const large = tenants[0]!;
  const small = tenants.at(-1)!;

  type Probe = [name: string, run: (t: (typeof tenants)[number]) => Promise<unknown>];
  const ctxOf = (t: (typeof tenants)[number]) => ({ tenantId: t.id, userId: t.ownerId, role: "owner" as const });
  const probes: Probe[] = [
    [
      "usage page, current period (all reads)",
      (t) => Promise.all([listUsagePeriods(ctxOf(t)), getAdminUsageReport(ctxOf(t), current), getInvoice(ctxOf(t), current)]),
    ],
    ["  report: current period", (t) => getAdminUsageReport(ctxOf(t), current)],
    ["  report: last (closed) period", (t) => getAdminUsageReport(ctxOf(t), previous)],
    ["  period picker", (t) => listUsagePeriods(ctxOf(t))],
    ["invoice: current (open, from rollups)", (t) => getInvoice(ctxOf(t), current)],
    ["invoice: last period (closed snapshot)", (t) => getInvoice(ctxOf(t), previous)],
    ["CSV export: last period", async (t) => (await invoiceCsvResponse(ctxOf(t), monthOf(previous))).text()],
    ["CSV export: current period", async (t) => (await invoiceCsvResponse(ctxOf(t), monthOf(current))).text()],
    [
      "member's own usage page",
      (t) =>
        Promise.all([
          listUsagePeriods({ ...ctxOf(t), userId: t.memberId, role: "member" }),
          getMemberUsageReport({ ...ctxOf(t), userId: t.memberId, role: "member" }, current),
        ]),
    ],
    ["audit log, first page", (t) => listAuditEntries(ctxOf(t), {})],
    ["audit log, filtered by action", (t) => listAuditEntries(ctxOf(t), { action: "ai_settings.changed" })],
    // What app/(app)/observability/page.tsx does for a tenant's admin: the operator check, then the figures.
    ["observability page, the tenant (all reads)", (t) => Promise.all([findOperator(t.ownerId), readObservability({ kind: "tenant", tenantId: t.id })])],
    ["  readObservability(tenant)", (t) => readObservability({ kind: "tenant", tenantId: t.id })],
  ];
  // The platform scope (an operator's first view) is one figure for every tenant: timed once per round.
  const operatorEnv = { ...process.env, KEEL_OPERATOR_EMAILS: "bench-0-1@example.test" };
  const operator = (await findOperator(large.ownerId, operatorEnv))!;
  const platformProbes: [name: string, run: () => Promise<unknown>][] = [
    [
      "observability page, the platform (all reads)",
      () => Promise.all([findOperator(large.ownerId, operatorEnv), readObservability({ kind: "platform" }), listTenantsForOperator(operator)]),
    ],
    ["  readObservability(platform)", () => readObservability({ kind: "platform" })],
  ];

  const timings = new Map<string, number[]>();
  for (let round = 0; round <= ROUNDS; round++) {
    for (const tenant of [large, small]) {
      for (const [name, run] of probes) {
        const started = performance.now();
        await run(tenant);
        const elapsed = performance.now() - started;
        if (round > 0) timings.set(`${tenant === large ? "L" : "S"}|${name}`, [...(timings.get(`${tenant === large ? "L" : "S"}|${name}`) ?? []), elapsed]);
      }
    }
    for (const [name, run] of platformProbes) {
      const started = performance.now();
      await run();
      const elapsed = performance.now() - started;
      if (round > 0) timings.set(`P|${name}`, [...(timings.get(`P|${name}`) ?? []), elapsed]);
    }
  }

  // What the rollups save: the same totals straight from the events (a scan of the tenant's rows).
  const scan = async (t: (typeof tenants)[number]) => {
    const started = performance.now();
    await owner`select provider, model, feature, count(*), sum(input_tokens), sum(cost_micro_usd) from usage_events
                where tenant_id = ${t.id} and created_at >= ${`${current}T00:00:00Z`}::timestamptz group by 1, 2, 3`;
    return performance.now() - started;
  };
  const scans = { L: [] as number[], S: [] as number[] };
  for (let round = 0; round < 3; round++) {
    scans.L.push(await scan(large));
    scans.S.push(await scan(small));
  }

  // What migration 0015's rollups cost writers: a meter-sized batch (250 events of the large
  // tenant's members, the last quarter hour) with and without its trigger, alternating, each
  // rolled back. The 0013 rollups run in both.
  const batchTimes = { with: [] as number[], without: [] as number[] };
  for (let round = 0; round <= ROUNDS; round++) {
    for (const kind of ["with", "without"] as const) {
      await owner`begin`;
      if (kind === "without") await owner`alter table usage_events disable trigger usage_events_roll_up_recent`;
      const started = performance.now();
      await seedEvents(owner, large.id, 250, 0.01, `batch-${round}-${kind}-`);
      const elapsed = performance.now() - started;
      await owner`rollback`;
      if (round > 0) batchTimes[kind].push(elapsed);
    }
  }

  const [version] = await owner<{ v: string }[]>`select current_setting('server_version') as v`;
  const f = (ms: number) => ms.toFixed(1).padStart(8);
  console.log(
    `\nKeel admin benchmark: ${EVENTS.toLocaleString("en")} events, ${TENANTS} tenants, ${DAYS} days; medians (and p95) of ${ROUNDS} rounds after a warm-up, ` +
      `milliseconds of server time per read (Node → PostgreSQL ${version!.v} round trips included).`,
  );
  console.log(`machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM, Node ${process.version}`);
  console.log(`large tenant: ${large.events.toLocaleString("en")} events; small tenant: ${small.events.toLocaleString("en")} events\n`);
  console.log(`${"read".padEnd(44)} ${"large".padStart(8)} ${"p95".padStart(8)} ${"small".padStart(8)} ${"p95".padStart(8)}`);
  let worst = 0;
  for (const [name] of probes) {
    const l = timings.get(`L|${name}`)!;
    const s = timings.get(`S|${name}`)!;
    worst = Math.max(worst, median(l), median(s));
    console.log(`${name.padEnd(44)} ${f(median(l))} ${f(percentile(l, 95))} ${f(median(s))} ${f(percentile(s, 95))}`);
  }
  for (const [name] of platformProbes) {
    const p = timings.get(`P|${name}`)!;
    worst = Math.max(worst, median(p));
    console.log(`${name.padEnd(44)} ${f(median(p))} ${f(percentile(p, 95))} ${"(every tenant)".padStart(17)}`);
  }
  console.log(`${"(for scale) same totals scanned from events".padEnd(44)} ${f(median(scans.L))} ${"".padStart(8)} ${f(median(scans.S))}`);
  const batchWith = median(batchTimes.with);
  const batchWithout = median(batchTimes.without);
  console.log(
    `\nwriting a batch of 250 usage events: ${batchWithout.toFixed(1)} ms with the usage and billing rollups (0013), ` +
      `${batchWith.toFixed(1)} ms with the observability rollups too (0015): ×${(batchWith / batchWithout).toFixed(2)}`,
  );
  console.log(
    `load average (1, 5, 15 min): ${os
      .loadavg()
      .map((n) => n.toFixed(2))
      .join(", ")}`,
  );
  console.log(`\nTarget: every read ≤ ${TARGET_MS} ms. Slowest median: ${worst.toFixed(1)} ms — ${worst <= TARGET_MS ? "met" : "NOT met"}.`);
  writeBenchSummary(
    "admin",
    [
      {
        measure: "slowest median read (Usage, invoice, CSV, Observability)",
        figure: `${worst.toFixed(1)} ms`,
        target: `≤ ${TARGET_MS} ms`,
        met: worst <= TARGET_MS,
      },
    ],
    `${EVENTS.toLocaleString("en")} events in ${TENANTS} tenants, ${ROUNDS} rounds`,
  );
  await closeDatabase();
} finally {
  await owner.end();
  // BENCH_KEEP_DATABASE=1 leaves it for a closer look (EXPLAIN); it is named in the output.
  if (process.env.BENCH_KEEP_DATABASE === "1") console.log(`kept ${databaseUrl}`);
  else await dropTestDatabase(adminUrl, databaseUrl);
}
