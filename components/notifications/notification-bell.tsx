"use client";
// The bell in the shell: unread count, the latest notifications, mark one or all read. New ones
// arrive live (and as a toast) while the page is open; the list itself is stored, so nothing is
// lost when nobody was watching.
import { Bell } from "lucide-react";
import Link from "next/link";
import { useEffect, useRef, useState, useTransition } from "react";
import { useLiveMessages } from "@/components/live/live-updates";
import { useToast } from "@/components/ui/toaster";
import { idleState, type ActionState } from "@/lib/http/action-state";
import { formatDateTime } from "@/lib/format/dates";

export interface BellNotification {
  id: string;
  kind: string;
  title: string;
  body: string | null;
  link: string | null;
  read: boolean;
  createdAt: string;
}

type Action = (state: ActionState, formData: FormData) => Promise<ActionState>;

export function NotificationBell({ initial, unread: initialUnread, markRead }: { initial: BellNotification[]; unread: number; markRead: Action }) {
  // The server's list is the truth at each render; what happened since (live arrivals, marks)
  // is kept here and laid over it.
  const [arrived, setArrived] = useState<BellNotification[]>([]);
  const [markedRead, setMarkedRead] = useState<Set<string>>(new Set());
  const [allRead, setAllRead] = useState(false);
  const [open, setOpen] = useState(false);
  const [, startTransition] = useTransition();
  const toast = useToast();
  const panel = useRef<HTMLDivElement>(null);

  const known = new Set(initial.map((n) => n.id));
  const fresh = arrived.filter((n) => !known.has(n.id));
  const items = [...fresh, ...initial].slice(0, 20).map((n) => ({ ...n, read: n.read || allRead || markedRead.has(n.id) }));
  const readHere = initial.filter((n) => !n.read && markedRead.has(n.id)).length + fresh.filter((n) => markedRead.has(n.id)).length;
  const unread = allRead ? 0 : Math.max(0, initialUnread + fresh.length - readHere);

  useLiveMessages((message) => {
    if (message.type !== "notification") return;
    setAllRead(false);
    setArrived((all) => (all.some((n) => n.id === message.id) ? all : [{ ...message, read: false, createdAt: message.at }, ...all].slice(0, 20)));
    toast({ title: message.title, body: message.body, link: message.link, tone: message.kind.endsWith(".failed") ? "error" : "success" });
  });

  useEffect(() => {
    if (!open) return;
    const close = (event: MouseEvent | KeyboardEvent) => {
      if (event instanceof KeyboardEvent ? event.key === "Escape" : !panel.current?.contains(event.target as Node)) setOpen(false);
    };
    document.addEventListener("mousedown", close);
    document.addEventListener("keydown", close);
    return () => {
      document.removeEventListener("mousedown", close);
      document.removeEventListener("keydown", close);
    };
  }, [open]);

  const mark = (id: string | null) => {
    const form = new FormData();
    if (id) {
      form.set("notificationId", id);
      setMarkedRead((all) => new Set(all).add(id));
    } else setAllRead(true);
    startTransition(() => void markRead(idleState, form));
  };

  return (
    <div className="relative" ref={panel}>
      <button
        type="button"
        onClick={() => setOpen((o) => !o)}
        aria-expanded={open}
        aria-label={unread > 0 ? `Notifications, ${unread} unread` : "Notifications"}
        className="relative rounded-md px-2 py-1 text-slate-700 hover:bg-slate-100 focus-visible:outline-2 focus-visible:outline-indigo-600"
        data-testid="notification-bell"
      >
        <Bell aria-hidden className="size-5" />
        {unread > 0 ? (
          <span
            data-testid="unread-count"
            className="absolute -right-1 -top-1 min-w-5 rounded-full bg-red-600 px-1 text-center text-xs font-semibold text-white"
          >
            {unread > 99 ? "99+" : unread}
          </span>
        ) : null}
      </button>
      {open ? (
        <div
          className="absolute right-0 z-40 mt-2 w-80 max-w-[calc(100vw-2rem)] rounded-md border border-slate-200 bg-white shadow-lg"
          role="dialog"
          aria-label="Notifications"
        >
          <div className="flex items-center justify-between border-b border-slate-100 px-3 py-2">
            <p className="text-sm font-semibold">Notifications</p>
            {unread > 0 ? (
              <button type="button" onClick={() => mark(null)} className="text-xs text-indigo-700 underline">
                Mark all read
              </button>
            ) : null}
          </div>
          {items.length === 0 ? (
            <p className="p-3 text-sm text-slate-600">Nothing yet. You hear here when an analysis finishes or fails.</p>
          ) : (
            <ul className="max-h-96 divide-y divide-slate-100 overflow-y-auto" data-testid="notification-list">
              {items.map((n) => (
                <li key={n.id} className={`p-3 text-sm ${n.read ? "" : "bg-indigo-50/50"}`}>
                  <div className="flex items-start justify-between gap-2">
                    {n.link ? (
                      <Link href={n.link} className="font-medium text-slate-900 hover:underline" onClick={() => !n.read && mark(n.id)}>
                        {n.title}
                      </Link>
                    ) : (
                      <p className="font-medium">{n.title}</p>
                    )}
                    {!n.read ? (
                      <button
                        type="button"
                        onClick={() => mark(n.id)}
                        className="shrink-0 text-xs text-slate-500 underline"
                        aria-label={`Mark “${n.title}” read`}
                      >
                        Read
                      </button>
                    ) : null}
                  </div>
                  {n.body ? <p className="mt-1 line-clamp-2 text-slate-600">{n.body}</p> : null}
                  <p className="mt-1 text-xs text-slate-400">{`${formatDateTime(n.createdAt)} UTC`}</p>
                </li>
              ))}
            </ul>
          )}
        </div>
      ) : null}
    </div>
  );
}
