// GET /api/members: the active workspace's members, for programs and the end-to-end tests.
import { NextResponse } from "next/server";
import { withTenantRoute } from "@/lib/http/guarded-route";
import { listMembers } from "@/lib/tenancy/members";

export const GET = withTenantRoute(
  async (_request, ctx) => {
    const members = await listMembers(ctx);
    return NextResponse.json({
      tenantId: ctx.tenantId,
      members: members.map((m) => ({ userId: m.userId, name: m.name, email: m.email, role: m.role, joinedAt: m.joinedAt.toISOString() })),
    });
  },
  { role: "member" },
);
