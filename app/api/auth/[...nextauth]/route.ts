import { handlers } from "@/lib/auth";
import { publicRoute } from "@/lib/http/public-route";

const authJs = "Auth.js's own sign-in, callback and session endpoints (CSRF-checked by Auth.js)";
export const GET = publicRoute(authJs, handlers.GET);
export const POST = publicRoute(authJs, handlers.POST);
