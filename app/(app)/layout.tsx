import Link from "next/link";
import type { ReactNode } from "react";
import { LiveUpdatesProvider } from "@/components/live/live-updates";
import { NotificationBell } from "@/components/notifications/notification-bell";
import { NavLinks, type NavItem } from "@/components/shell/nav-links";
import { TenantSwitcher } from "@/components/shell/tenant-switcher";
import { ActionForm } from "@/components/ui/action-form";
import { ToastProvider } from "@/components/ui/toaster";
import { getGateway } from "@/lib/ai";
import { listNotices } from "@/lib/ai/ai-settings";
import { requirePageTenant } from "@/lib/auth/page-guard";
import { listNotifications } from "@/lib/notifications/notifications";
import { countOpenAlerts } from "@/lib/observability/alerts";
import { hasRole, roleLabels } from "@/lib/tenancy/roles";
import { getTenant, listTenantsOfUser } from "@/lib/tenancy/tenants";
import { signOutAction, switchTenantAction } from "./actions";
import { markNotificationsReadAction } from "./documents/actions";
import { dismissNoticeAction } from "./settings/actions";

export default async function AppLayout({ children }: { children: ReactNode }) {
  const ctx = await requirePageTenant();
  const isAdmin = hasRole(ctx.role, "admin");
  const [tenant, myTenants, notices, inbox, openAlerts] = await Promise.all([
    getTenant(ctx),
    listTenantsOfUser(ctx.userId),
    listNotices(ctx),
    listNotifications(ctx),
    isAdmin ? countOpenAlerts(ctx.tenantId) : Promise.resolve(0),
  ]);
  const offline = getGateway().offline;
  const nav: NavItem[] = [
    { href: "/chat", label: "Chat" },
    { href: "/documents", label: "Documents" },
    // Members see their own usage there; owners and admins the workspace's, and the audit log.
    { href: "/usage", label: "Usage" },
    { href: "/members", label: "Members" },
    { href: "/settings", label: "Settings" },
    { href: "/account", label: "Account" },
    ...(hasRole(ctx.role, "admin")
      ? [
          { href: "/observability", label: "Observability" },
          { href: "/audit", label: "Audit log" },
        ]
      : []),
  ];

  const bellItems = inbox.items.map((n) => ({
    id: n.id,
    kind: n.kind,
    title: n.title,
    body: n.body,
    link: n.link,
    read: n.readAt !== null,
    createdAt: n.createdAt.toISOString(),
  }));

  return (
    <LiveUpdatesProvider>
      <ToastProvider>
        <div className="flex min-h-dvh flex-col">
          <a href="#main" className="sr-only focus:not-sr-only focus:absolute focus:left-2 focus:top-2 focus:rounded focus:bg-white focus:px-3 focus:py-2">
            Skip to content
          </a>
          <header className="border-b border-slate-200 bg-white">
            <div className="mx-auto flex max-w-6xl flex-wrap items-center justify-between gap-3 px-4 py-3">
              <div className="flex min-w-0 items-center gap-3">
                <Link href="/chat" className="text-lg font-bold text-indigo-700">
                  Keel
                </Link>
                <span aria-hidden className="text-slate-300">
                  /
                </span>
                <p className="truncate font-medium" data-testid="active-tenant">
                  {tenant.name}
                </p>
                <span className="rounded bg-slate-100 px-2 py-0.5 text-xs text-slate-600">{roleLabels[ctx.role]}</span>
                {offline ? (
                  <span
                    className="rounded bg-amber-100 px-2 py-0.5 text-xs text-amber-800"
                    title="No AI provider is configured: answers come from Keel's offline model."
                  >
                    Offline model
                  </span>
                ) : null}
              </div>
              <div className="flex items-center gap-3">
                <NotificationBell initial={bellItems} unread={inbox.unread} markRead={markNotificationsReadAction} />
                <TenantSwitcher tenants={myTenants} activeTenantId={ctx.tenantId} action={switchTenantAction} />
                <form action={signOutAction}>
                  <button
                    type="submit"
                    className="rounded-md px-2 py-1 text-sm text-slate-700 underline-offset-2 hover:underline focus-visible:outline-2 focus-visible:outline-indigo-600"
                  >
                    Sign out
                  </button>
                </form>
              </div>
            </div>
          </header>
          <div className="mx-auto flex w-full max-w-6xl flex-1 flex-col gap-6 px-4 py-6 md:flex-row">
            <nav aria-label="Main" className="md:w-48 md:shrink-0">
              <NavLinks items={nav} />
            </nav>
            <main id="main" className="min-w-0 flex-1">
              {openAlerts > 0 ? (
                <div role="alert" className="mb-4 rounded-md border border-red-300 bg-red-50 p-3 text-sm text-red-900" data-testid="open-alerts">
                  {openAlerts === 1 ? "1 alert is open" : `${openAlerts} alerts are open`} in this workspace.{" "}
                  <Link href="/observability" className="font-medium underline">
                    See observability
                  </Link>
                </div>
              ) : null}
              {notices.map((notice) => (
                <div
                  key={notice.id}
                  role="status"
                  className="mb-4 flex flex-wrap items-center justify-between gap-2 rounded-md border border-amber-300 bg-amber-50 p-3 text-sm text-amber-900"
                  data-testid="notice"
                >
                  <span>{notice.message}</span>
                  {hasRole(ctx.role, "admin") ? (
                    <ActionForm action={dismissNoticeAction} hidden={{ noticeId: notice.id }} submitLabel="Dismiss" label="Dismiss notice" />
                  ) : null}
                </div>
              ))}
              {children}
            </main>
          </div>
        </div>
      </ToastProvider>
    </LiveUpdatesProvider>
  );
}
