"use server";
import { redirect } from "next/navigation";
import { z } from "zod";
import { updateSession } from "@/lib/auth";
import { findMailTarget } from "@/lib/auth/account-mail";
import { sendVerificationEmail } from "@/lib/auth/email-verification";
import { signInAndRedirect } from "@/lib/auth/sign-in-redirect";
import { requestClientAddress } from "@/lib/http/client-address";
import { emailVerificationRequired } from "@/lib/mail/mail-settings";
import { log } from "@/core/log";
import { publicAction, userAction } from "@/lib/http/tenant-action";
import { acceptInvitation, previewInvitation } from "@/lib/tenancy/invitations";
import { inviteeSignUpSchema } from "@/lib/tenancy/schemas";
import { signUpInvitee } from "@/lib/tenancy/sign-up";

const invitationLinkSchema = z.object({
  tenantId: z.uuid("This invitation link is not valid."),
  token: z.string().regex(/^[A-Za-z0-9_-]{20,100}$/, "This invitation link is not valid."),
});

export const acceptInvitationAction = userAction(invitationLinkSchema, async (input, { userId }) => {
  await acceptInvitation({ tenantId: input.tenantId, secret: input.token, userId });
  await updateSession({ tenantId: input.tenantId });
  redirect("/members");
});

export const signUpAndJoinAction = publicAction(inviteeSignUpSchema.extend(invitationLinkSchema.shape), async (input) => {
  // Check the link before creating an account, so a dead link leaves nothing behind.
  await previewInvitation(input.tenantId, input.token);
  const clientAddress = await requestClientAddress();
  const { userId } = await signUpInvitee(input, { clientAddress });
  await acceptInvitation({ tenantId: input.tenantId, secret: input.token, userId });
  // An invitation mailed to this address verified it; a copied link did not.
  const target = await findMailTarget({ userId });
  if (emailVerificationRequired() && !target?.emailVerified) {
    await sendVerificationEmail(userId, { clientAddress }).catch((error: unknown) =>
      log.warn({ err: error }, "invitee sign-up: could not send the verification email"),
    );
    redirect("/verify-email?sent=1");
  }
  await signInAndRedirect(input.email, input.password, "/members");
});
