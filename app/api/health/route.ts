// Liveness: the process serves requests. It checks nothing else, so a database outage never gets
// healthy processes restarted (that is what /api/ready is for).
export const dynamic = "force-dynamic";

export function GET(): Response {
  return Response.json({ status: "ok" }, { headers: { "cache-control": "no-store" } });
}
