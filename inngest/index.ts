// Every durable function Keel serves at /api/inngest.
import { purgeStaleInvitationsNightly } from "./functions/purge-stale-invitations";
import { settleExpiredReservationsEvery5Minutes } from "./functions/settle-expired-reservations";

export const functions = [purgeStaleInvitationsNightly, settleExpiredReservationsEvery5Minutes];
