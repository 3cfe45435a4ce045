import type { MemberRole } from "@/db/schema";

/** Who is acting, in which tenant, with which role — what the guard yields to every entry point. */
export interface TenantContext {
  userId: string;
  tenantId: string;
  role: MemberRole;
}
