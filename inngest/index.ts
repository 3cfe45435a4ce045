// Every durable function Keel serves at /api/inngest (and the local executor runs in-process).
import { analyzeDocumentFunction } from "./functions/analyze-document";
import { closeBillingPeriodsDaily } from "./functions/close-billing-periods";
import { deliverWebhookFunction } from "./functions/deliver-webhook";
import { dispatchWebhookDeliveriesEveryMinute } from "./functions/dispatch-webhook-deliveries";
import { evaluateAlertsEveryMinute } from "./functions/evaluate-alerts";
import { exportWorkspaceFunction } from "./functions/export-workspace";
import { pruneObservabilityRollupsNightly } from "./functions/prune-observability-rollups";
import { purgeDeletedWorkspacesHourly } from "./functions/purge-deleted-workspaces";
import { purgeExpiredExportsHourly } from "./functions/purge-expired-exports";
import { purgeExpiredSignInAttemptsHourly } from "./functions/purge-expired-sign-in-attempts";
import { purgeStaleInvitationsNightly } from "./functions/purge-stale-invitations";
import { reembedFunction } from "./functions/reembed";
import { scheduleReembedsEvery15Minutes } from "./functions/schedule-reembeds";
import { settleExpiredReservationsEvery5Minutes } from "./functions/settle-expired-reservations";

export const functions = [
  analyzeDocumentFunction,
  purgeStaleInvitationsNightly,
  settleExpiredReservationsEvery5Minutes,
  purgeExpiredSignInAttemptsHourly,
  reembedFunction,
  scheduleReembedsEvery15Minutes,
  closeBillingPeriodsDaily,
  evaluateAlertsEveryMinute,
  pruneObservabilityRollupsNightly,
  deliverWebhookFunction,
  dispatchWebhookDeliveriesEveryMinute,
  exportWorkspaceFunction,
  purgeDeletedWorkspacesHourly,
  purgeExpiredExportsHourly,
];
