// Every durable function Keel serves at /api/inngest.
import { purgeStaleInvitationsNightly } from "./functions/purge-stale-invitations";

export const functions = [purgeStaleInvitationsNightly];
