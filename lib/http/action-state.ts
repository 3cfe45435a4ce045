// What every form's server action returns: a summary message and per-field errors.
export interface ActionState {
  ok: boolean;
  message?: string;
  fieldErrors?: Record<string, string>;
  /** Echoed text inputs, so a refused form keeps what the user typed (never passwords). */
  values?: Record<string, string>;
  /** Data the form shows after success (e.g. an invitation link shown once). */
  result?: Record<string, string>;
}

export const idleState: ActionState = { ok: false };
