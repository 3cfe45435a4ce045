/** Quotas run per calendar month in UTC. */
export function currentPeriod(now = new Date()): { start: string; resetsAt: string } {
  const year = now.getUTCFullYear();
  const month = now.getUTCMonth();
  const start = new Date(Date.UTC(year, month, 1));
  const next = new Date(Date.UTC(year, month + 1, 1));
  return { start: start.toISOString().slice(0, 10), resetsAt: next.toISOString() };
}
