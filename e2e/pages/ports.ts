// The port of every server a spec starts of its own, beside the shared one (E2E_PORT), all listed
// here once, so no two specs share a port, whichever of them run at the same time.
const base = Number(process.env.E2E_PORT ?? 3210);

const offsets = {
  isolationMatrix: 1,
  chatProviders: 5,
  alerts: 6,
  accounts: 7,
  twoFactor: 8,
  sso: 9,
  faults: 10,
  chatView: 11,
  shutdown: 12,
  twoInstancesFirst: 13,
  twoInstancesSecond: 14,
} as const;

/** The port of a spec's own server. */
export function ownServerPort(server: keyof typeof offsets): number {
  return base + offsets[server];
}
