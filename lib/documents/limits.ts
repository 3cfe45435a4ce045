// Upload limits, from configuration: the largest file, and each tenant's storage quota.

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
