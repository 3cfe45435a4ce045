// Your account → Delete your account: password and a typed phrase. Kept out of the page so its
// other sections merge freely.
import { AccountForm } from "@/components/auth/account-form";
import { deleteAccountAction } from "./delete-account-action";

export function DeleteAccountSection() {
  return (
    <section aria-labelledby="delete-account-heading" className="mt-8 rounded-lg border border-red-200 bg-white p-4">
      <h2 id="delete-account-heading" className="mb-1 text-lg font-semibold text-red-800">
        Delete your account
      </h2>
      <p className="mb-4 text-sm text-slate-600">
        Signs you out everywhere and deletes your account and your conversations. Documents you uploaded stay with their workspaces. A workspace where you are
        the only member is scheduled for deletion with it; if you are the only owner of a workspace with other members, make someone else an owner or delete the
        workspace first.
      </p>
      <AccountForm
        action={deleteAccountAction}
        label="Delete your account"
        fields={[
          { name: "currentPassword", label: "Your password", type: "password", autoComplete: "current-password" },
          { name: "confirm", label: "Type “delete my account” to confirm", type: "text", autoComplete: "off" },
        ]}
        submitLabel="Delete my account"
        pendingLabel="Deleting…"
      />
    </section>
  );
}
