export { alertTransitions } from "./transitions";
export { countOpenAlerts, formatAlertValue, listAlertEpisodes, type AlertEpisodeView } from "./episodes";
export { evaluateTenantAlerts, tenantsToEvaluate, type ReadObservability } from "./evaluate";
