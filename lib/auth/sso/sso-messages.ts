// What the sign-in page says when single sign-on came back without signing anyone in: Keel's own
// refusals (`?sso=`, lib/auth/sso/sso-sign-in.ts) and Auth.js's errors (`?error=`, its pages.error).
import { ssoRefusalMessages } from "./sso-sign-in";

const authJsErrors: Record<string, string> = {
  AccessDenied: "Single sign-on was refused. Try again, or sign in with your email and password.",
  OAuthCallbackError: "The sign-in provider did not complete the sign-in (it may have been cancelled). Try again.",
  OAuthSignInError: "Keel could not start the sign-in with that provider. Try again in a moment.",
  Configuration: "Single sign-on is not configured correctly on this server. Ask whoever runs Keel, or sign in with your email and password.",
};

export function ssoProblemMessage(sso: string | undefined, error: string | undefined): string | null {
  if (sso) return Object.hasOwn(ssoRefusalMessages, sso) ? ssoRefusalMessages[sso as keyof typeof ssoRefusalMessages] : ssoRefusalMessages.failed;
  // A wrong password also comes back as ?error=CredentialsSignin from some paths: the form says that itself.
  if (error && error !== "CredentialsSignin") return authJsErrors[error] ?? authJsErrors.OAuthCallbackError!;
  return null;
}
