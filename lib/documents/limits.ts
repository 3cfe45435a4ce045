// Upload limits, from configuration: the largest file, each tenant's storage quota, and how many
// uploads may be received at once (per person, across processes; per process, in all).

export interface DocumentLimits {
  maxFileBytes: number;
  tenantStorageBytes: number;
}

function megabytes(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback * 1024 * 1024;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number of megabytes`);
  return Math.floor(value * 1024 * 1024);
}

export function documentLimitsFromEnv(env: NodeJS.ProcessEnv = process.env): DocumentLimits {
  return { maxFileBytes: megabytes(env, "KEEL_MAX_UPLOAD_MB", 25), tenantStorageBytes: megabytes(env, "KEEL_TENANT_STORAGE_MB", 1024) };
}

export interface UploadConcurrency {
  /** Uploads one person may have in flight at once, across all app processes. */
  perUser: number;
  /** Uploads one app process receives at once, from everyone. */
  perProcess: number;
}

function count(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a whole number of at least 1`);
  return value;
}

export function uploadConcurrencyFromEnv(env: NodeJS.ProcessEnv = process.env): UploadConcurrency {
  return { perUser: count(env, "KEEL_UPLOADS_PER_USER", 4), perProcess: count(env, "KEEL_UPLOADS_IN_FLIGHT", 16) };
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ["KB", "MB", "GB", "TB"];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value >= 10 ? Math.round(value) : value.toFixed(1)} ${units[unit]}`;
}
