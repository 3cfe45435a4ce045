// GET /api/documents/:id/preview: a PDF or HTML original for the document page's preview frame,
// shown by the browser inline and, for HTML, inside a sandbox (see lib/documents/originals.ts).
// Other kinds, another tenant's id, or a malformed one are 404.
import { originalHandler } from "@/lib/documents/original-route";
import { withTenantRoute } from "@/lib/http/guarded-route";

export const GET = withTenantRoute(originalHandler("inline"), { role: "member" });
