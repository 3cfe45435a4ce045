"use client";
// One EventSource per tab on /api/live, shared by everything on the page that shows live state:
// document progress, the notification bell, toasts. It reconnects by itself (the server asks for
// a 2 s retry), and each (re)connect starts with a snapshot of running jobs and a resync message
// for views that must re-read what they show, so nothing is missed.
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from "react";

export interface LiveJob {
  type: "job";
  jobId: string;
  documentId: string | null;
  status: "queued" | "running" | "succeeded" | "failed" | "cancelled";
  stage: string;
  done: number;
  total: number;
  message: string | null;
  at: string;
}

interface LiveNotification {
  type: "notification";
  id: string;
  kind: string;
  title: string;
  body: string | null;
  link: string | null;
  at: string;
}

/** A document appeared, changed or went away (documentId null: several at once). */
export interface LiveDocumentChange {
  type: "document";
  documentId: string | null;
  change: "created" | "updated" | "deleted";
  /** For "created": enough to show the new document before the page is re-read. */
  document?: { name: string; kind: string; sizeBytes: number; collectionId: string; collectionName: string; createdAt: string };
  at: string;
}

/** The stream reconnected: messages may have been missed, so views that keep state re-read it. */
interface LiveResync {
  type: "resync";
}

type LiveMessage = LiveJob | LiveNotification | LiveDocumentChange | LiveResync;
type Listener = (message: LiveMessage) => void;

interface LiveContext {
  subscribe(listener: Listener): () => void;
  connected: boolean;
}

const Context = createContext<LiveContext | null>(null);

export function LiveUpdatesProvider({ children }: { children: ReactNode }) {
  const listeners = useRef(new Set<Listener>());
  const [connected, setConnected] = useState(false);

  useEffect(() => {
    const source = new EventSource("/api/live");
    const deliver = (event: MessageEvent<string>) => {
      let message: LiveMessage;
      try {
        message = JSON.parse(event.data) as LiveMessage;
      } catch {
        return;
      }
      for (const listener of listeners.current) listener(message);
    };
    source.addEventListener("job", deliver);
    source.addEventListener("notification", deliver);
    source.addEventListener("document", deliver);
    // Every snapshot after the first follows a reconnect (of this tab, or of the server's LISTEN).
    let snapshots = 0;
    source.addEventListener("ready", () => {
      setConnected(true);
      if (snapshots++ > 0) for (const listener of listeners.current) listener({ type: "resync" });
    });
    source.onerror = () => setConnected(false);
    // The server ended the stream for good (removed from the workspace, signed out): no reconnect.
    source.addEventListener("closed", () => {
      source.close();
      setConnected(false);
    });
    return () => source.close();
  }, []);

  const subscribe = useCallback((listener: Listener) => {
    listeners.current.add(listener);
    return () => void listeners.current.delete(listener);
  }, []);
  const value = useMemo<LiveContext>(() => ({ subscribe, connected }), [subscribe, connected]);

  return <Context.Provider value={value}>{children}</Context.Provider>;
}

/** Calls `listener` for every live message while the component is mounted. */
export function useLiveMessages(listener: Listener): void {
  const context = useContext(Context);
  const latest = useRef(listener);
  useEffect(() => {
    latest.current = listener;
  });
  useEffect(() => context?.subscribe((message) => latest.current(message)), [context]);
}
