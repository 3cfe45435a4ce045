// Picks the billing period the Usage page shows. A plain GET form: works before any script loads.
import { monthOf, periodLabel } from "@/lib/billing/periods";

export function PeriodPicker({ periods, selected, current }: { periods: string[]; selected: string; current: string }) {
  return (
    <form method="get" className="flex flex-wrap items-end gap-2" aria-label="Choose a period">
      <label className="flex flex-col gap-1 text-sm font-medium text-slate-800">
        Period
        <select name="period" defaultValue={monthOf(selected)} className="rounded-md border border-slate-300 bg-white px-3 py-2 text-base">
          {periods.map((period) => (
            <option key={period} value={monthOf(period)}>
              {periodLabel(period)}
              {period === current ? " (current)" : ""}
            </option>
          ))}
        </select>
      </label>
      <button
        type="submit"
        className="rounded-md border border-slate-300 bg-white px-3 py-2 text-sm font-medium hover:bg-slate-50 focus-visible:outline-2 focus-visible:outline-indigo-600"
      >
        Show
      </button>
    </form>
  );
}
