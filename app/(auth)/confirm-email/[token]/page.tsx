import type { Metadata } from "next";
import { AccountForm } from "@/components/auth/account-form";
import { checkAccountLink } from "@/lib/auth/account-mail";
import { confirmEmailChangeAction } from "../../actions";
import { checkLink, DeadLink } from "../../token-page";
import { publicPage } from "@/lib/http/guarded-page";

export const metadata: Metadata = { title: "Confirm your new email" };

export default publicPage(async (_viewer, { params }: { params: Promise<{ token: string }> }) => {
  const { token } = await params;
  const link = await checkLink(() => checkAccountLink("change_email", token));
  if (!link.ok) return <DeadLink title="This link cannot be used" message={link.message} retry={{ href: "/account", label: "Go to your account" }} />;
  return (
    <>
      <h1 className="mb-1 text-xl font-semibold">Confirm your new email</h1>
      <p className="mb-4 text-sm text-slate-600">From now on you will sign in with {link.value.email}.</p>
      <AccountForm action={confirmEmailChangeAction} hidden={{ token }} fields={[]} submitLabel="Use this address" pendingLabel="Confirming…" />
    </>
  );
});
