// The tenant's alert episodes: open ones first, each with when it opened, its worst value, when it
// resolved, and whether each end reached the webhook.
import type { AlertEpisodeView } from "@/lib/observability/alerts";
import { formatAlertValue } from "@/lib/observability/alerts";
import { formatDateTime } from "@/lib/format/dates";

export function AlertEpisodes({ episodes }: { episodes: AlertEpisodeView[] }) {
  return (
    <section aria-labelledby="alerts-heading" className="mb-8">
      <h2 id="alerts-heading" className="mb-1 text-lg font-semibold">
        Alerts
      </h2>
      <p className="mb-3 text-sm text-slate-600">
        Checked every minute. An alert opens when a metric crosses its alert line and resolves when it is back under its warn line; each opening and resolution
        is sent once to the workspace webhook (Settings). Times in UTC.
      </p>
      {episodes.length === 0 ? (
        <p className="rounded-md border border-dashed border-slate-300 p-4 text-sm text-slate-600">No alert has fired in this workspace.</p>
      ) : (
        <div className="overflow-x-auto">
          <table className="w-full text-left text-sm" data-testid="alert-episodes">
            <thead className="text-slate-600">
              <tr>
                <th className="py-2 pr-4 font-medium">Metric</th>
                <th className="py-2 pr-4 font-medium">State</th>
                <th className="py-2 pr-4 font-medium">Opened</th>
                <th className="py-2 pr-4 font-medium">Worst</th>
                <th className="py-2 pr-4 font-medium">Resolved</th>
                <th className="py-2 font-medium">Webhook</th>
              </tr>
            </thead>
            <tbody>
              {episodes.map((episode) => (
                <tr key={episode.id} className="border-t border-slate-200" data-metric={episode.metricKey}>
                  <td className="py-2 pr-4">{episode.label}</td>
                  <td className="py-2 pr-4">
                    {episode.resolvedAt ? (
                      <span className="rounded bg-emerald-100 px-2 py-0.5 text-xs text-emerald-800">Resolved</span>
                    ) : (
                      <span className="rounded bg-red-100 px-2 py-0.5 text-xs font-medium text-red-800">Open</span>
                    )}
                  </td>
                  <td className="py-2 pr-4">
                    {formatDateTime(episode.openedAt)} at {formatAlertValue(episode.openedValue, episode.unit)}
                    <span className="text-slate-500"> (line {formatAlertValue(episode.threshold, episode.unit)})</span>
                  </td>
                  <td className="py-2 pr-4">{formatAlertValue(episode.peakValue, episode.unit)}</td>
                  <td className="py-2 pr-4">
                    {episode.resolvedAt
                      ? `${formatDateTime(episode.resolvedAt)}${episode.resolvedValue === null ? " (no data)" : ` at ${formatAlertValue(episode.resolvedValue, episode.unit)}`}`
                      : "—"}
                  </td>
                  <td className="py-2 text-slate-600">
                    opened: {episode.webhook.opened}
                    {episode.webhook.resolved ? `; resolved: ${episode.webhook.resolved}` : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
