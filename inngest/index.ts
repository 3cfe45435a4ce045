// Every durable function Keel serves at /api/inngest.
import { analyzeDocumentFunction } from "./functions/analyze-document";
import { closeBillingPeriodsDaily } from "./functions/close-billing-periods";
import { purgeStaleInvitationsNightly } from "./functions/purge-stale-invitations";
import { settleExpiredReservationsEvery5Minutes } from "./functions/settle-expired-reservations";

export const functions = [analyzeDocumentFunction, purgeStaleInvitationsNightly, settleExpiredReservationsEvery5Minutes, closeBillingPeriodsDaily];
