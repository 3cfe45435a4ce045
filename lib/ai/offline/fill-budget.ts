// What one filled schema may cost: the filler (./json-schema-value.ts) spends from this budget for
// every value and character it builds, so no schema, however it reached the offline model, can make
// it build more than the API boundary would accept (../json-schema-bounds.ts).
import { APICallError } from "@ai-sdk/provider";
import { JSON_SCHEMA_LIMITS } from "../json-schema-bounds";

export class FillBudget {
  private left: number = JSON_SCHEMA_LIMITS.maxValueChars;

  /** Charges `chars`; past the budget the call fails as a provider's 400 would (not retried, no fallback). */
  spend(chars: number): void {
    this.left -= chars;
    if (this.left < 0)
      throw new APICallError({
        message: `The schema asks for a value longer than ${JSON_SCHEMA_LIMITS.maxValueChars} characters; the offline model does not build it.`,
        url: "offline:",
        requestBodyValues: {},
        statusCode: 400,
        isRetryable: false,
      });
  }

  /** Optional content (optional properties, list items past minItems) only while half the budget is left. */
  get roomy(): boolean {
    return this.left > JSON_SCHEMA_LIMITS.maxValueChars / 2;
  }
}

/** A schema's count keyword, capped as the boundary caps it. */
export const cappedItems = (asked: number | undefined): number => Math.min(Math.max(asked ?? 0, 0), JSON_SCHEMA_LIMITS.maxMinItems);
export const cappedLength = (asked: number | undefined): number => Math.min(Math.max(asked ?? 0, 0), JSON_SCHEMA_LIMITS.maxMinLength);
