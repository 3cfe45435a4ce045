import Link from "next/link";
import type { Metadata } from "next";
import { SignUpForm } from "@/components/auth/sign-up-form";
import { ActionForm } from "@/components/ui/action-form";
import { isKeelError } from "@/lib/errors";
import { previewInvitation, type InvitationPreview } from "@/lib/tenancy/invitations";
import { roleLabels } from "@/lib/tenancy/roles";
import { acceptInvitationAction, signUpAndJoinAction } from "./actions";
import { formatDateTime } from "@/lib/format/dates";
import { publicPage } from "@/lib/http/guarded-page";

export const metadata: Metadata = { title: "Invitation" };

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

async function loadInvitation(tenantId: string, token: string): Promise<InvitationPreview | string> {
  if (!uuidPattern.test(tenantId)) return "This invitation link is not valid. Check that you copied all of it.";
  try {
    return await previewInvitation(tenantId, token);
  } catch (error) {
    if (isKeelError(error)) return error.message;
    throw error;
  }
}

export default publicPage(async (session, { params }: { params: Promise<{ tenantId: string; token: string }> }) => {
  const { tenantId, token } = await params;
  const invitation = await loadInvitation(tenantId, token);
  const here = `/invite/${tenantId}/${token}`;

  return (
    <main className="mx-auto flex min-h-dvh w-full max-w-md flex-col justify-center px-4 py-10">
      <p className="mb-6 text-center text-2xl font-bold tracking-tight text-indigo-700">Keel</p>
      <div className="rounded-xl border border-slate-200 bg-white p-6 shadow-sm">
        {typeof invitation === "string" ? (
          <>
            <h1 className="mb-2 text-xl font-semibold">Invitation unavailable</h1>
            <p role="alert" className="text-sm text-slate-700">
              {invitation}
            </p>
          </>
        ) : (
          <>
            <h1 className="mb-1 text-xl font-semibold">Join {invitation.tenantName}</h1>
            <p className="mb-4 text-sm text-slate-600">
              You are invited as <strong>{roleLabels[invitation.role]}</strong>. The link expires {formatDateTime(invitation.expiresAt)} UTC.
            </p>
            {session?.userId ? (
              <ActionForm
                action={acceptInvitationAction}
                hidden={{ tenantId, token }}
                submitLabel={`Join ${invitation.tenantName}`}
                variant="primary"
                pendingLabel="Joining…"
              />
            ) : (
              <>
                <SignUpForm action={signUpAndJoinAction} askWorkspace={false} hidden={{ tenantId, token }} />
                <p className="mt-6 text-sm text-slate-600">
                  Already have an account?{" "}
                  <Link className="font-medium text-indigo-700 underline" href={`/sign-in?callbackUrl=${encodeURIComponent(here)}`}>
                    Sign in to join
                  </Link>
                </p>
              </>
            )}
          </>
        )}
      </div>
    </main>
  );
});
