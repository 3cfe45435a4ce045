import type { Metadata } from "next";
import { AccountForm } from "@/components/auth/account-form";
import { checkAccountLink } from "@/lib/auth/account-mail";
import { verifyEmailAction } from "../../actions";
import { checkLink, DeadLink } from "../../token-page";
import { publicPage } from "@/lib/http/guarded-page";

export const metadata: Metadata = { title: "Confirm your email" };

// A button, not an automatic confirmation on opening: mail scanners open links, and the link works once.
export default publicPage(async (_viewer, { params }: { params: Promise<{ token: string }> }) => {
  const { token } = await params;
  const link = await checkLink(() => checkAccountLink("verify_email", token));
  if (!link.ok) return <DeadLink title="This link cannot be used" message={link.message} retry={{ href: "/verify-email", label: "Send a new link" }} />;
  return (
    <>
      <h1 className="mb-1 text-xl font-semibold">Confirm your email</h1>
      <p className="mb-4 text-sm text-slate-600">Confirm that {link.value.email} is your address.</p>
      <AccountForm action={verifyEmailAction} hidden={{ token }} fields={[]} submitLabel="Confirm my email" pendingLabel="Confirming…" />
    </>
  );
});
