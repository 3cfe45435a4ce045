"use client";
// Which documents answers in this conversation are grounded in: every collection (the default),
// none (a plain assistant), or a chosen few. A conversation not created yet keeps the choice here
// (its first question carries it); an existing one saves each change.
import { useState, useTransition } from "react";

type SetGrounding = (input: { conversationId: string; mode: "all" | "none" | "some"; collectionIds: string[] }) => Promise<{ ok: boolean; message?: string }>;

export function GroundingPicker(props: {
  /** null: a conversation its first question will create. */
  conversationId: string | null;
  collections: { id: string; name: string }[];
  /** null: all; []: none. */
  selected: string[] | null;
  action: SetGrounding;
  /** Every effective change (null: all; []: none). */
  onChange?(selected: string[] | null): void;
}) {
  const initialMode = props.selected === null ? "all" : props.selected.length === 0 ? "none" : "some";
  const [mode, setMode] = useState<"all" | "none" | "some">(initialMode);
  const [chosen, setChosen] = useState<string[]>(props.selected ?? []);
  const [problem, setProblem] = useState<string | null>(null);
  const [pending, start] = useTransition();
  const save = (nextMode: "all" | "none" | "some", ids: string[]) => {
    setMode(nextMode);
    setChosen(ids);
    start(async () => {
      // Choosing "some" with nothing ticked yet changes nothing until a collection is picked.
      if (nextMode === "some" && ids.length === 0) return;
      props.onChange?.(nextMode === "all" ? null : nextMode === "none" ? [] : ids);
      if (!props.conversationId) return;
      const result = await props.action({ conversationId: props.conversationId, mode: nextMode, collectionIds: ids });
      setProblem(result.ok ? null : (result.message ?? "Could not change the documents used."));
    });
  };
  return (
    <fieldset className="flex flex-wrap items-center gap-3 text-sm text-slate-700" aria-busy={pending} data-testid="grounding-picker">
      <legend className="sr-only">Documents answers use</legend>
      <span className="font-medium">Ground answers in:</span>
      {(
        [
          ["all", "All documents"],
          ["some", "Chosen collections"],
          ["none", "No documents"],
        ] as const
      ).map(([value, label]) => (
        <label key={value} className="flex items-center gap-1">
          <input type="radio" name="grounding" value={value} checked={mode === value} onChange={() => save(value, value === "some" ? chosen : [])} />
          {label}
        </label>
      ))}
      {mode === "some"
        ? props.collections.map((c) => (
            <label key={c.id} className="flex items-center gap-1 rounded border border-slate-200 px-2 py-0.5">
              <input
                type="checkbox"
                checked={chosen.includes(c.id)}
                onChange={(event) => save("some", event.target.checked ? [...chosen, c.id] : chosen.filter((id) => id !== c.id))}
              />
              {c.name}
            </label>
          ))
        : null}
      {problem ? (
        <span role="alert" className="text-red-700">
          {problem}
        </span>
      ) : null}
    </fieldset>
  );
}
