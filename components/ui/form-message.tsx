import type { ActionState } from "@/lib/http/action-state";

/** The form-level outcome, announced to screen readers when it changes. */
export function FormMessage({ state }: { state: ActionState }) {
  if (!state.message) return <p role="status" aria-live="polite" className="sr-only" />;
  return (
    <p
      role={state.ok ? "status" : "alert"}
      className={`rounded-md px-3 py-2 text-sm ${state.ok ? "bg-emerald-50 text-emerald-800" : "bg-red-50 text-red-800"}`}
    >
      {state.message}
    </p>
  );
}
