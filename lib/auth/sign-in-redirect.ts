// Server-side sign-in for our own forms: Auth.js redirects on success; a refusal becomes a
// KeelError with a message the form can show.
import { AuthError } from "next-auth";
import { redirect } from "next/navigation";
import { KeelError } from "@/lib/errors";
import { signIn } from "./index";
import { invalidCredentialsMessage, unverifiedEmailMessage } from "./authenticate";

export async function signInAndRedirect(email: string, password: string, redirectTo: string): Promise<void> {
  try {
    await signIn("credentials", { email, password, redirectTo });
  } catch (error) {
    if (error instanceof AuthError && error.type === "CredentialsSignin") {
      const code = (error as AuthError & { code?: string }).code;
      // The right password for an account with a second factor: on to the second step (lib/auth/two-factor/).
      if (code === "second_factor_required") redirect(`/two-factor?callbackUrl=${encodeURIComponent(redirectTo)}`);
      if (code === "email_unverified") throw new KeelError("forbidden", unverifiedEmailMessage, { email: unverifiedEmailMessage });
      throw code === "rate_limited"
        ? new KeelError("rate_limited", "Too many sign-in attempts. Wait up to 15 minutes, then try again.")
        : new KeelError("unauthenticated", invalidCredentialsMessage, { password: invalidCredentialsMessage });
    }
    throw error;
  }
}
