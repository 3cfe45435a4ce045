// Server-side sign-in for our own forms: Auth.js redirects on success; a refusal becomes a
// KeelError with a message the form can show.
import { AuthError } from "next-auth";
import { KeelError } from "@/lib/errors";
import { signIn } from "./index";
import { invalidCredentialsMessage } from "./authenticate";

export async function signInAndRedirect(email: string, password: string, redirectTo: string): Promise<void> {
  try {
    await signIn("credentials", { email, password, redirectTo });
  } catch (error) {
    if (error instanceof AuthError && error.type === "CredentialsSignin") {
      const throttled = (error as AuthError & { code?: string }).code === "rate_limited";
      throw throttled
        ? new KeelError("rate_limited", "Too many sign-in attempts. Wait up to 15 minutes, then try again.")
        : new KeelError("unauthenticated", invalidCredentialsMessage, { password: invalidCredentialsMessage });
    }
    throw error;
  }
}
