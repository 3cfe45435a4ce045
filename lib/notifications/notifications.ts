// Per-person notifications (a job finished or failed): stored, listed with an unread count,
// marked read. Row-level security lets each person see and change only their own.
import { and, count, desc, eq, isNull } from "drizzle-orm";
import { notifications, type Notification } from "@/db/schema";
import type { Tx } from "@/db/client";
import { withTenant } from "@/db/scope";
import { publish } from "@/lib/jobs/job-events";
import type { TenantContext } from "@/lib/tenancy/context";

export interface NewNotice {
  userId: string;
  kind: string;
  title: string;
  body?: string | null;
  /** A path inside Keel. */
  link?: string | null;
}

export async function notifyIn(tx: Tx, tenantId: string, notice: NewNotice): Promise<void> {
  const link = notice.link && notice.link.startsWith("/") && !notice.link.startsWith("//") ? notice.link : null;
  // No RETURNING: a job writes notifications for someone else, whose rows it may not read back.
  const row = {
    id: crypto.randomUUID(),
    tenantId,
    userId: notice.userId,
    kind: notice.kind,
    title: notice.title.slice(0, 200),
    body: notice.body?.slice(0, 1_000) ?? null,
    link,
    createdAt: new Date(),
  };
  await tx.insert(notifications).values(row);
  await publish(tx, {
    type: "notification",
    tenantId,
    userId: row.userId,
    id: row.id,
    kind: row.kind,
    title: row.title,
    body: row.body,
    link,
    at: row.createdAt.toISOString(),
  });
}

export interface NotificationList {
  items: Notification[];
  unread: number;
}

export function listNotifications(ctx: TenantContext, limit = 20): Promise<NotificationList> {
  return withTenant(
    ctx.tenantId,
    async (tx) => {
      const mine = and(eq(notifications.tenantId, ctx.tenantId), eq(notifications.userId, ctx.userId));
      const items = await tx.select().from(notifications).where(mine).orderBy(desc(notifications.createdAt)).limit(limit);
      const [unread] = await tx
        .select({ n: count() })
        .from(notifications)
        .where(and(mine, isNull(notifications.readAt)));
      return { items, unread: Number(unread?.n ?? 0) };
    },
    { userId: ctx.userId },
  );
}

/** Marks one notification read, or all of the caller's when `id` is null. */
export async function markNotificationsRead(ctx: TenantContext, id: string | null): Promise<void> {
  await withTenant(
    ctx.tenantId,
    (tx) =>
      tx
        .update(notifications)
        .set({ readAt: new Date() })
        .where(
          and(
            eq(notifications.tenantId, ctx.tenantId),
            eq(notifications.userId, ctx.userId),
            isNull(notifications.readAt),
            ...(id ? [eq(notifications.id, id)] : []),
          ),
        ),
    { userId: ctx.userId },
  );
}
