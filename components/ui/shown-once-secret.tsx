"use client";
// A secret we store only as a hash (invitation link, API key): shown once, ready to copy.
import { useId } from "react";

export function ShownOnceSecret({ label, value }: { label: string; value: string }) {
  const id = useId();
  return (
    <div role="status" className="rounded-md bg-emerald-50 p-3 text-sm text-emerald-900">
      <label htmlFor={id} className="font-medium">
        {label} (shown once — copy it now)
      </label>
      <div className="mt-2 flex gap-2">
        <input
          id={id}
          readOnly
          value={value}
          className="w-full rounded-md border border-emerald-300 bg-white px-2 py-1 font-mono text-xs"
          onFocus={(e) => e.currentTarget.select()}
        />
        <button type="button" className="rounded-md border border-emerald-400 px-3 py-1" onClick={() => void navigator.clipboard?.writeText(value)}>
          Copy
        </button>
      </div>
    </div>
  );
}
