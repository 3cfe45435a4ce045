"use client";
import { useActionState } from "react";
import { SubmitButton } from "@/components/ui/submit-button";
import { idleState, type ActionState } from "@/lib/http/action-state";

type Action = (state: ActionState, formData: FormData) => Promise<ActionState>;

export interface SwitcherTenant {
  id: string;
  name: string;
}

/** Changes the active workspace. An explicit button, so arrowing through the list switches nothing. */
export function TenantSwitcher({ tenants, activeTenantId, action }: { tenants: SwitcherTenant[]; activeTenantId: string; action: Action }) {
  const [state, formAction] = useActionState(action, idleState);
  if (tenants.length < 2) return null;
  return (
    <form action={formAction} className="flex items-center gap-2">
      <label htmlFor="tenant-switcher" className="sr-only">
        Workspace
      </label>
      <select
        id="tenant-switcher"
        name="tenantId"
        defaultValue={activeTenantId}
        className="max-w-40 rounded-md border border-slate-300 bg-white px-2 py-1 text-sm"
      >
        {tenants.map((tenant) => (
          <option key={tenant.id} value={tenant.id}>
            {tenant.name}
          </option>
        ))}
      </select>
      <SubmitButton variant="secondary" pendingLabel="Switching…">
        Switch
      </SubmitButton>
      {state.message && !state.ok ? (
        <p role="alert" className="text-xs text-red-700">
          {state.message}
        </p>
      ) : null}
    </form>
  );
}
