// Inngest's endpoint, served only to an Inngest server (inngest/serve-route.ts): with the local
// executor (no server configured) nothing would tell Inngest from anyone else, so every request
// is refused and the executor calls the same handler in-process instead; in production the SDK
// refuses any request not signed with INNGEST_SIGNING_KEY, and Dev Server mode is refused.
import { inngestRoute } from "@/inngest/serve-route";
import { inngestHandler } from "@/inngest/serve-handler";
import { publicRoute } from "@/lib/http/public-route";

const inngest = inngestRoute(inngestHandler);
const signed = "Inngest's serve() checks the signing key of every call (and refuses INNGEST_DEV under npm start)";
export const GET = publicRoute(signed, inngest.GET);
export const POST = publicRoute(signed, inngest.POST);
export const PUT = publicRoute(signed, inngest.PUT);
