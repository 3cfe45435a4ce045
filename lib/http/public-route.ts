// The builder for route handlers anyone may call (probes, Auth.js, Inngest, unknown /api/v1 paths).
// Apart from guarded-route.ts so that modules the plain /api/v1 router loads outside Next.js
// (scripts/api-router.ts: health, readiness) do not pull in Auth.js.
import { errorResponse } from "./error-response";

/**
 * A handler anyone may call, with the reason it needs no session written where it is exported
 * ("liveness probe", "Inngest signs its calls"). Whatever it checks itself, it checks in `handler`.
 */
export function publicRoute<Args extends unknown[]>(reason: string, handler: (...args: Args) => Response | Promise<Response>) {
  void reason;
  return async (...args: Args): Promise<Response> => {
    try {
      return await handler(...args);
    } catch (error) {
      return errorResponse(error);
    }
  };
}
