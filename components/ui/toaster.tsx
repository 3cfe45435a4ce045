"use client";
// Brief messages in a corner (a job finished, a job failed), announced politely to screen readers.
import { X } from "lucide-react";
import Link from "next/link";
import { createContext, useCallback, useContext, useState, type ReactNode } from "react";

export interface Toast {
  id: string;
  title: string;
  body?: string | null;
  link?: string | null;
  tone: "success" | "error" | "info";
}

const Context = createContext<(toast: Omit<Toast, "id">) => void>(() => {});

export function ToastProvider({ children }: { children: ReactNode }) {
  const [toasts, setToasts] = useState<Toast[]>([]);
  const dismiss = useCallback((id: string) => setToasts((all) => all.filter((t) => t.id !== id)), []);
  const show = useCallback(
    (toast: Omit<Toast, "id">) => {
      const id = crypto.randomUUID();
      setToasts((all) => [...all.slice(-3), { ...toast, id }]);
      setTimeout(() => dismiss(id), 8_000);
    },
    [dismiss],
  );
  const tones = { success: "border-emerald-300 bg-emerald-50", error: "border-red-300 bg-red-50", info: "border-slate-300 bg-white" };
  return (
    <Context.Provider value={show}>
      {children}
      <div aria-live="polite" className="pointer-events-none fixed bottom-4 right-4 z-50 flex w-80 max-w-[calc(100vw-2rem)] flex-col gap-2">
        {toasts.map((toast) => (
          <div key={toast.id} role="status" data-testid="toast" className={`pointer-events-auto rounded-md border p-3 text-sm shadow ${tones[toast.tone]}`}>
            <div className="flex items-start justify-between gap-2">
              <p className="font-medium">{toast.link ? <Link href={toast.link}>{toast.title}</Link> : toast.title}</p>
              <button type="button" onClick={() => dismiss(toast.id)} className="text-slate-500 hover:text-slate-800" aria-label="Dismiss">
                <X aria-hidden className="size-4" />
              </button>
            </div>
            {toast.body ? <p className="mt-1 line-clamp-3 text-slate-700">{toast.body}</p> : null}
          </div>
        ))}
      </div>
    </Context.Provider>
  );
}

export function useToast(): (toast: Omit<Toast, "id">) => void {
  return useContext(Context);
}
