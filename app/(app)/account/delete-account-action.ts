"use server";
import { signOut } from "@/lib/auth";
import { deleteAccount, deleteAccountSchema } from "@/lib/auth/account-deletion";
import { userAction } from "@/lib/http/tenant-action";

export const deleteAccountAction = userAction(deleteAccountSchema, async (input, user) => {
  await deleteAccount(user.userId, input);
  // The session rows are gone already (every device is signed out); this one's cookie goes too.
  await signOut({ redirectTo: "/sign-in?account-deleted=1" });
});
