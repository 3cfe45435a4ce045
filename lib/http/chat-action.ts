// The builder for server actions the browser calls with arguments rather than a form: chat's ask,
// follow, stop, rate and grounding. `chatAction({ role, failure }, handler)` runs the tenant guard
// first, and turns any refusal into `{ ok: false, message }` (the streaming actions return a stream
// only on success), so who may call it is declared where it is exported.
import { unstable_rethrow } from "next/navigation";
import { z } from "zod";
import type { MemberRole } from "@/db/schema";
import { isDatabaseUnreachable } from "@/db/unreachable";
import { requireTenant } from "@/lib/auth/guard";
import { isKeelError } from "@/lib/errors";
import type { TenantContext } from "@/lib/tenancy/context";
import { log } from "@/core/log";
import { DATABASE_UNREACHABLE_MESSAGE } from "./error-response";

export interface ActionRefusal {
  ok: false;
  message: string;
  code?: string;
}

export function chatAction<Args extends unknown[], Result extends { ok: boolean }>(
  options: { role: MemberRole; /** Said when something unexpected fails (and is logged). */ failure: string },
  handler: (ctx: TenantContext, ...args: Args) => Promise<Result>,
) {
  return async (...args: Args): Promise<Result | ActionRefusal> => {
    try {
      const ctx = await requireTenant({ role: options.role });
      return await handler(ctx, ...args);
    } catch (error) {
      unstable_rethrow(error);
      if (isKeelError(error)) return { ok: false, message: error.message, code: error.code };
      // The arguments come from the browser as they were sent: each handler parses them with zod.
      if (error instanceof z.ZodError) return { ok: false, message: error.issues[0]?.message ?? "Check what you typed." };
      if (isDatabaseUnreachable(error)) {
        log.warn({ err: error }, "chat action: the database is out of reach");
        return { ok: false, message: DATABASE_UNREACHABLE_MESSAGE, code: "database_unavailable" };
      }
      log.error({ err: error }, "chat action failed");
      return { ok: false, message: options.failure };
    }
  };
}
