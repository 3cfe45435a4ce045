import Link from "next/link";
import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { SsoButtons } from "@/components/auth/sso-buttons";
import { configuredSsoProviders } from "@/lib/auth/sso/sso-settings";
import { userPage } from "@/lib/http/guarded-page";
import { ssoRequirementFor } from "@/lib/auth/sso/workspace-sso-policy";
import { findMembershipRole } from "@/lib/tenancy/members";
import { startSsoAction } from "../(auth)/sso-actions";
import { signOutAction } from "../(app)/actions";

export const metadata: Metadata = { title: "Single sign-on required" };

/** Where the page guard sends a session that did not sign in the way its workspace requires. */
export default userPage(async (user) => {
  // Only a workspace the person still belongs to is named here.
  if (!user.tenantId || !(await findMembershipRole(user.tenantId, user.userId))) redirect("/workspaces");
  const requirement = await ssoRequirementFor({ tenantId: user.tenantId, userId: user.userId, sessionId: user.sessionId });
  if (!requirement) redirect("/chat");
  const workspaceProvider = configuredSsoProviders().filter((provider) => provider.id === "oidc");
  return (
    <main className="mx-auto flex min-h-dvh w-full max-w-md flex-col justify-center px-4 py-10">
      <div className="rounded-xl border border-slate-200 bg-white p-6 shadow-sm">
        <h1 className="mb-3 text-xl font-semibold">Sign in with single sign-on to open {requirement.workspaceName}</h1>
        <p role="alert" className="mb-4 text-sm text-slate-700" data-testid="sso-required-message">
          {requirement.message}
        </p>
        <SsoButtons providers={workspaceProvider} action={startSsoAction} callbackUrl="/chat" />
        <p className="mt-4 flex flex-wrap justify-between gap-2 text-sm">
          <Link href="/workspaces" className="font-medium text-indigo-700 underline">
            Open another workspace
          </Link>
        </p>
        <form action={signOutAction} className="mt-4">
          <button type="submit" className="text-sm text-slate-700 underline">
            Sign out
          </button>
        </form>
      </div>
    </main>
  );
});
