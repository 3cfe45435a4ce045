// Rate-limit counters of the OpenAI-compatible API (lib/ai/rate-limits): one row per counter, in
// rate-limiter-flexible's PostgreSQL layout (key, points, expire in epoch ms) plus the tenant.
// Written only by keel_rate_limit_consume (db/functions).
import { bigint, pgTable, primaryKey, text, uuid } from "drizzle-orm/pg-core";
import { tenants } from "./tenancy";

export const apiRateLimits = pgTable(
  "api_rate_limits",
  {
    tenantId: uuid("tenant_id")
      .notNull()
      .references(() => tenants.id, { onDelete: "cascade" }),
    /** The limiter's prefix and what it counts: `key-requests:<api key id>`, `workspace-tokens:<tenant id>`… */
    key: text("key").notNull(),
    points: bigint("points", { mode: "number" }).notNull().default(0),
    /** When the current window ends (epoch milliseconds). */
    expire: bigint("expire", { mode: "number" }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.key] })],
);
export type ApiRateLimit = typeof apiRateLimits.$inferSelect;
