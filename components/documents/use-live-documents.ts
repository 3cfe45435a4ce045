"use client";
// Keeps a server-rendered list of documents in step with the live stream, in every open tab: a new
// upload shows at once (from its message, until the page is re-read), job progress is applied at
// once, a deleted document disappears at once, and anything the list cannot know by itself (a move,
// a finished analysis, a reconnect) re-reads the page, a burst of messages costing one refresh.
import { useRouter } from "next/navigation";
import { useCallback, useEffect, useRef, useState } from "react";
import { useLiveMessages, type LiveDocumentChange } from "@/components/live/live-updates";
import type { JobState } from "./document-status";

export type LiveJobState = JobState & { id: string };

/** A document announced by its "created" message that the server-rendered list may not have yet. */
export type ArrivedDocument = NonNullable<LiveDocumentChange["document"]> & { id: string };

const MAX_ARRIVED = 200;

const REFRESH_DELAY_MS = 150;
const finished = (status: string) => status === "succeeded" || status === "failed" || status === "cancelled";

/** A `router.refresh()` that coalesces calls: each call is followed by a refresh that starts after it. */
export function useCoalescedRefresh(delayMs = REFRESH_DELAY_MS): () => void {
  const router = useRouter();
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  useEffect(
    () => () => {
      if (timer.current) clearTimeout(timer.current);
    },
    [],
  );
  return useCallback(() => {
    if (timer.current) return;
    timer.current = setTimeout(() => {
      timer.current = null;
      router.refresh();
    }, delayMs);
  }, [router, delayMs]);
}

export function useLiveDocuments(documentIds: readonly string[]): {
  jobs: Record<string, LiveJobState>;
  deleted: ReadonlySet<string>;
  arrived: ArrivedDocument[];
} {
  const refresh = useCoalescedRefresh();
  const [jobs, setJobs] = useState<Record<string, LiveJobState>>({});
  const [arrived, setArrived] = useState<ArrivedDocument[]>([]);
  const [deleted, setDeleted] = useState<ReadonlySet<string>>(() => new Set());
  // Documents not on this page (another collection's, when filtered) send progress too: ask the
  // server about each such id once, not on every progress message.
  const askedAbout = useRef(new Set<string>());

  useLiveMessages((message) => {
    if (message.type === "resync") return refresh();
    if (message.type === "document") {
      const { documentId, document } = message;
      if (message.change === "deleted" && documentId) setDeleted((all) => new Set(all).add(documentId));
      if (message.change === "created" && documentId && document) {
        setArrived((all) => [{ id: documentId, ...document }, ...all.filter((a) => a.id !== documentId)].slice(0, MAX_ARRIVED));
      }
      return refresh();
    }
    if (message.type !== "job" || !message.documentId) return;
    const { documentId } = message;
    setJobs((all) => {
      const known = all[documentId];
      // Messages can arrive out of order across processes: never step back from a newer state.
      if (known && known.id === message.jobId && finished(known.status)) return all;
      return {
        ...all,
        [documentId]: { id: message.jobId, status: message.status, stage: message.stage, done: message.done, total: message.total, message: message.message },
      };
    });
    if (finished(message.status)) return refresh();
    if (!documentIds.includes(documentId) && !askedAbout.current.has(documentId)) {
      if (askedAbout.current.size > 1_000) askedAbout.current.clear();
      askedAbout.current.add(documentId);
      refresh();
    }
  });

  return { jobs, deleted, arrived };
}
