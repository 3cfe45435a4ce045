// Every durable function Keel serves at /api/inngest.
import { purgeStaleInvitationsNightly } from "./functions/purge-stale-invitations";
import { releaseExpiredReservationsEvery5Minutes } from "./functions/release-expired-reservations";

export const functions = [purgeStaleInvitationsNightly, releaseExpiredReservationsEvery5Minutes];
