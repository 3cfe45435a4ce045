// GET /api/live: server-sent events of the signed-in tenant's job progress and the caller's own
// notifications (lib/jobs/live-stream.ts). 429 past a person's stream cap; a stream ends within
// seconds of its person leaving the workspace or signing out.
import { openLiveStream } from "@/lib/jobs/live-stream";
import { withTenantRoute } from "@/lib/http/guarded-route";

export const dynamic = "force-dynamic";

export const GET = withTenantRoute((request, ctx) => openLiveStream(ctx, request.signal), { role: "member" });
