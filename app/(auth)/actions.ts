"use server";
import { z } from "zod";
import { signInAndRedirect } from "@/lib/auth/sign-in-redirect";
import { requestClientAddress } from "@/lib/http/client-address";
import { publicAction } from "@/lib/http/tenant-action";
import { safeRedirectPath } from "@/lib/http/safe-redirect";
import { signInSchema, signUpSchema } from "@/lib/tenancy/schemas";
import { signUp } from "@/lib/tenancy/sign-up";

export const signInAction = publicAction(signInSchema.extend({ callbackUrl: z.string().optional() }), async (input) => {
  await signInAndRedirect(input.email, input.password, safeRedirectPath(input.callbackUrl));
});

export const signUpAction = publicAction(signUpSchema, async (input) => {
  await signUp(input, { clientAddress: await requestClientAddress() });
  await signInAndRedirect(input.email, input.password, "/chat");
});
