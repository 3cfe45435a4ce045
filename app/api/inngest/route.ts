// Inngest's endpoint, served only to an Inngest server (inngest/serve-route.ts): with the local
// executor (no server configured) nothing would tell Inngest from anyone else, so every request
// is refused and the executor calls the same handler in-process instead; in production the SDK
// refuses any request not signed with INNGEST_SIGNING_KEY, and Dev Server mode is refused.
import { inngestRoute } from "@/inngest/serve-route";
import { inngestHandler } from "@/inngest/serve-handler";

export const { GET, POST, PUT } = inngestRoute(inngestHandler);
