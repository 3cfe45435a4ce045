"use client";
import { useFormStatus } from "react-dom";
import type { ReactNode } from "react";

const variants = {
  primary: "bg-indigo-600 text-white hover:bg-indigo-700",
  secondary: "border border-slate-300 bg-white text-slate-800 hover:bg-slate-50",
  danger: "border border-red-300 bg-white text-red-700 hover:bg-red-50",
} as const;

export function SubmitButton({ children, pendingLabel, variant = "primary" }: { children: ReactNode; pendingLabel?: string; variant?: keyof typeof variants }) {
  const { pending } = useFormStatus();
  return (
    <button
      type="submit"
      disabled={pending}
      aria-disabled={pending}
      className={`rounded-md px-4 py-2 text-sm font-medium focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600 disabled:opacity-60 ${variants[variant]}`}
    >
      {pending ? (pendingLabel ?? "Working…") : children}
    </button>
  );
}
