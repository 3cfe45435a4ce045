import type { Metadata } from "next";
import { AccountForm } from "@/components/auth/account-form";
import { checkAccountLink } from "@/lib/auth/account-mail";
import { resetPasswordAction } from "../../actions";
import { checkLink, DeadLink } from "../../token-page";
import { publicPage } from "@/lib/http/guarded-page";

export const metadata: Metadata = { title: "Choose a new password" };

export default publicPage(async (_viewer, { params }: { params: Promise<{ token: string }> }) => {
  const { token } = await params;
  const link = await checkLink(() => checkAccountLink("reset_password", token));
  if (!link.ok) return <DeadLink title="This link cannot be used" message={link.message} retry={{ href: "/forgot-password", label: "Ask for a new link" }} />;
  return (
    <>
      <h1 className="mb-1 text-xl font-semibold">Choose a new password</h1>
      <p className="mb-4 text-sm text-slate-600">For {link.value.email}. Every device signed in to this account will be signed out.</p>
      <AccountForm
        action={resetPasswordAction}
        hidden={{ token }}
        fields={[{ name: "password", label: "New password", type: "password", autoComplete: "new-password", hint: "At least 10 characters." }]}
        submitLabel="Set the new password"
        pendingLabel="Saving…"
      />
    </>
  );
});
