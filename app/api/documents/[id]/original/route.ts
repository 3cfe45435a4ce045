// GET /api/documents/:id/original: the uploaded file as it was sent, as a download under its
// (sanitised) name. Another tenant's id, or a malformed one, is 404.
import { originalHandler } from "@/lib/documents/original-route";
import { withTenantRoute } from "@/lib/http/guarded-route";

export const GET = withTenantRoute(originalHandler("attachment"), { role: "member" });
