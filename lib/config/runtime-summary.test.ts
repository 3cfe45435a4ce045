import { describe, expect, it } from "vitest";
import { describeAiProviders } from "./runtime-summary";

describe("describeAiProviders", () => {
  const env = { NODE_ENV: "test", OPENAI_API_KEY: "sk", OPENAI_COMPATIBLE_BASE_URL: "http://10.0.0.5:8000/v1?token=abc" } as NodeJS.ProcessEnv;

  it("names a self-hosted endpoint without its URL for members", () => {
    expect(describeAiProviders({ withUrls: false }, env)).toEqual(["OpenAI", "OpenAI-compatible"]);
  });

  it("shows the URL to admins and in the start-up banner", () => {
    expect(describeAiProviders({ withUrls: true }, env)).toEqual(["OpenAI", "OpenAI-compatible (http://10.0.0.5:8000/v1?token=abc)"]);
  });
});
