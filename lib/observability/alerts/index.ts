export { alertTransitions, type AlertTransitions, type OpenEpisode } from "./transitions";
export { applyAlertReadings, countOpenAlerts, formatAlertValue, listAlertEpisodes, type AlertEpisodeView, type AppliedTransitions } from "./episodes";
export { alertEventKey, alertWebhookEvent, type EpisodeEnd } from "./delivery";
export { evaluateTenantAlerts, tenantsToEvaluate, type ReadObservability, type TenantEvaluation } from "./evaluate";
