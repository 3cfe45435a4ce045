"use client";
// Collections (the namespaces answers are grounded in): filter the list by one; admins create,
// rename and delete them. Deleting says how many documents go with the collection before it asks.
import Link from "next/link";
import { useActionState } from "react";
import { ActionForm } from "@/components/ui/action-form";
import { SubmitButton } from "@/components/ui/submit-button";
import { idleState, type ActionState } from "@/lib/http/action-state";

type Action = (state: ActionState, formData: FormData) => Promise<ActionState>;

interface PanelCollection {
  id: string;
  name: string;
  isDefault: boolean;
  documentCount: number;
}

interface CollectionsPanelProps {
  collections: PanelCollection[];
  selectedId: string | null;
  canManage: boolean;
  actions: { create: Action; rename: Action; remove: Action };
}

export function CollectionsPanel({ collections, selectedId, canManage, actions }: CollectionsPanelProps) {
  return (
    <section aria-labelledby="collections-heading" className="mb-6 rounded-lg border border-slate-200 bg-white p-4">
      <h2 id="collections-heading" className="mb-3 text-sm font-semibold text-slate-900">
        Collections
      </h2>
      <nav aria-label="Filter by collection" className="mb-3 flex flex-wrap gap-2 text-sm">
        <FilterLink href="/documents" active={selectedId === null}>
          All
        </FilterLink>
        {collections.map((c) => (
          <FilterLink key={c.id} href={`/documents?collection=${c.id}`} active={selectedId === c.id}>
            {c.name} <span className="text-slate-500">({c.documentCount})</span>
          </FilterLink>
        ))}
      </nav>
      {canManage ? (
        <details>
          <summary className="cursor-pointer text-sm text-indigo-700">Manage collections</summary>
          <ul className="mt-3 flex flex-col gap-2" data-testid="collection-admin-list">
            {collections.map((c) => (
              <li key={c.id} className="flex flex-wrap items-start gap-2" data-testid="collection-row" data-name={c.name}>
                <RenameForm collection={c} action={actions.rename} />
                {c.isDefault ? (
                  <span className="self-center text-xs text-slate-500">Default: uploads go here</span>
                ) : (
                  <ActionForm
                    action={actions.remove}
                    hidden={{ collectionId: c.id }}
                    submitLabel="Delete"
                    pendingLabel="Deleting…"
                    variant="danger"
                    label={`Delete the collection ${c.name}`}
                    confirmMessage={`Delete “${c.name}” and its ${c.documentCount} document${c.documentCount === 1 ? "" : "s"}? Their analyses, passages and answers cached on them are removed too.`}
                  />
                )}
              </li>
            ))}
          </ul>
          <CreateForm action={actions.create} />
        </details>
      ) : null}
    </section>
  );
}

function FilterLink({ href, active, children }: { href: string; active: boolean; children: React.ReactNode }) {
  return (
    <Link
      href={href}
      aria-current={active ? "page" : undefined}
      className={`rounded-full border px-3 py-1 ${active ? "border-indigo-600 bg-indigo-50 text-indigo-800" : "border-slate-200 text-slate-700 hover:bg-slate-50"}`}
    >
      {children}
    </Link>
  );
}

function RenameForm({ collection, action }: { collection: PanelCollection; action: Action }) {
  const [state, formAction] = useActionState(action, idleState);
  return (
    <form action={formAction} aria-label={`Rename the collection ${collection.name}`} className="flex flex-wrap items-center gap-2">
      <input type="hidden" name="collectionId" value={collection.id} />
      <input
        name="name"
        aria-label={`Name of ${collection.name}`}
        defaultValue={state.values?.name ?? collection.name}
        maxLength={80}
        required
        className="rounded-md border border-slate-300 px-2 py-1 text-sm"
      />
      <SubmitButton variant="secondary" pendingLabel="Saving…">
        Rename
      </SubmitButton>
      {state.message && !state.ok ? (
        <p role="alert" className="w-full text-sm text-red-700">
          {state.fieldErrors?.name ?? state.message}
        </p>
      ) : null}
    </form>
  );
}

function CreateForm({ action }: { action: Action }) {
  // React resets the form after each submission; a refused name comes back in `values`.
  const [state, formAction] = useActionState(action, idleState);
  return (
    <form action={formAction} aria-label="New collection" className="mt-4 flex flex-wrap items-center gap-2">
      <input
        name="name"
        aria-label="New collection name"
        placeholder="New collection"
        defaultValue={state.ok ? "" : state.values?.name}
        maxLength={80}
        required
        className="rounded-md border border-slate-300 px-2 py-1 text-sm"
      />
      <SubmitButton pendingLabel="Creating…">Create collection</SubmitButton>
      {state.message ? (
        <p role={state.ok ? "status" : "alert"} className={`w-full text-sm ${state.ok ? "text-green-700" : "text-red-700"}`}>
          {state.ok ? state.message : (state.fieldErrors?.name ?? state.message)}
        </p>
      ) : null}
    </form>
  );
}
