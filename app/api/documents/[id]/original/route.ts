// GET /api/documents/:id/original: the uploaded file as it was sent, as a download under its
// (sanitised) name. Another tenant's id, or a malformed one, is 404.
import { originalRoute } from "@/lib/documents/original-route";

export const GET = originalRoute("attachment");
