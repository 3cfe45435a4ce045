// Operators choose what to look at: the whole platform or one tenant. A plain GET form (works
// without JavaScript); the choice is in the URL, so it can be shared.
export interface ScopeOption {
  value: string;
  label: string;
}

export function ScopePicker({ options, selected }: { options: ScopeOption[]; selected: string }) {
  return (
    <form method="get" className="flex flex-wrap items-end gap-2" aria-label="Choose what to observe">
      <label className="flex flex-col gap-1 text-sm font-medium text-slate-800">
        Scope
        <select name="scope" defaultValue={selected} className="rounded-md border border-slate-300 bg-white px-3 py-2 text-base">
          {options.map((option) => (
            <option key={option.value} value={option.value}>
              {option.label}
            </option>
          ))}
        </select>
      </label>
      <button
        type="submit"
        className="rounded-md bg-indigo-600 px-3 py-2 text-sm font-medium text-white hover:bg-indigo-700 focus-visible:outline-2 focus-visible:outline-indigo-600"
      >
        Show
      </button>
    </form>
  );
}
