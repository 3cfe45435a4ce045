// Liveness: the process serves requests. It checks nothing else, so a database outage never gets
// healthy processes restarted (that is what /api/ready is for).
import { publicRoute } from "@/lib/http/public-route";

export const dynamic = "force-dynamic";

export const GET = publicRoute("liveness probe: says only that the process answers", () =>
  Response.json({ status: "ok" }, { headers: { "cache-control": "no-store" } }),
);
