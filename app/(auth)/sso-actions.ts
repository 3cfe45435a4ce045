"use server";
// Starting a single sign-on: counted per address (lib/auth/sso/sso-throttle.ts), then Auth.js
// redirects the browser to the provider.
import { z } from "zod";
import { signIn } from "@/lib/auth";
import { addressKey, admitSso, ssoThrottle } from "@/lib/auth/sso/sso-throttle";
import { configuredSsoProviders } from "@/lib/auth/sso/sso-settings";
import { KeelError } from "@/lib/errors";
import { requestClientAddress } from "@/lib/http/client-address";
import { publicAction } from "@/lib/http/tenant-action";
import { safeRedirectPath } from "@/lib/http/safe-redirect";

const startSsoSchema = z.object({ providerId: z.string().max(40), callbackUrl: z.string().max(2048).optional() });

export const startSsoAction = publicAction(startSsoSchema, async ({ providerId, callbackUrl }) => {
  if (!configuredSsoProviders().some((provider) => provider.id === providerId)) {
    throw new KeelError("invalid_input", "That sign-in provider is not configured on this server.");
  }
  await admitSso([[ssoThrottle.start, addressKey(await requestClientAddress())]], "single sign-on attempts from your network");
  await signIn(providerId, { redirectTo: safeRedirectPath(callbackUrl) });
});
