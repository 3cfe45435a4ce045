import type { MemberRole } from "@/db/schema";

const rank: Record<MemberRole, number> = { member: 1, admin: 2, owner: 3 };

/** True when `role` carries at least the rights of `required`. */
export function hasRole(role: MemberRole, required: MemberRole): boolean {
  return rank[role] >= rank[required];
}

export const roleLabels: Record<MemberRole, string> = { owner: "Owner", admin: "Admin", member: "Member" };
