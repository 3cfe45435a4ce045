// The only module that imports provider packages. It turns a routing target into an AI SDK model;
// everything else in Keel asks the gateway for a role.
import { createGoogleGenerativeAI } from "@ai-sdk/google";
import { createOpenAI } from "@ai-sdk/openai";
import { createOpenAICompatible } from "@ai-sdk/openai-compatible";
import type { EmbeddingModelV3, LanguageModelV3, LanguageModelV3FunctionTool, SharedV3ProviderOptions } from "@ai-sdk/provider";
import type { GatewayConfig, ProviderSettings } from "./config";
import { providerFetch } from "./http-transport";
import { OfflineEmbeddingModel, OfflineLanguageModel } from "./offline";
import type { ModelTarget } from "./types";

type Factory = {
  language(model: string): LanguageModelV3;
  embedding(model: string): EmbeddingModelV3;
};

function factoryFor(settings: ProviderSettings): Factory {
  switch (settings.name) {
    case "openai": {
      const provider = createOpenAI({ apiKey: settings.apiKey, baseURL: settings.baseURL, fetch: providerFetch });
      // Chat Completions, not Responses: the shape every OpenAI-compatible server also speaks.
      return { language: (m) => provider.chat(m), embedding: (m) => provider.embeddingModel(m) };
    }
    case "google": {
      const provider = createGoogleGenerativeAI({ apiKey: settings.apiKey, baseURL: settings.baseURL, fetch: providerFetch });
      return { language: (m) => provider(m), embedding: (m) => provider.embeddingModel(m) };
    }
    case "compatible": {
      const provider = createOpenAICompatible({
        name: "compatible",
        baseURL: settings.baseURL ?? "",
        apiKey: settings.apiKey || undefined,
        includeUsage: true,
        fetch: providerFetch,
      });
      return { language: (m) => provider.chatModel(m), embedding: (m) => provider.embeddingModel(m) };
    }
  }
}

export class ProviderRegistry {
  private readonly factories = new Map<string, Factory>();
  private readonly languageModels = new Map<string, LanguageModelV3>();
  private readonly embeddingModels = new Map<string, EmbeddingModelV3>();

  constructor(private readonly config: GatewayConfig) {
    for (const settings of config.providers) this.factories.set(settings.name, factoryFor(settings));
  }

  /** True when no real provider is configured: the offline models serve every role. */
  get offline(): boolean {
    return this.config.providers.length === 0;
  }

  languageModel(target: ModelTarget): LanguageModelV3 {
    const key = `${target.provider}:${target.model}`;
    let model = this.languageModels.get(key);
    if (!model) {
      model =
        target.provider === "offline"
          ? new OfflineLanguageModel({ modelId: target.model, tokenDelayMs: this.config.offlineTokenDelayMs })
          : this.factory(target).language(target.model);
      this.languageModels.set(key, model);
    }
    return model;
  }

  embeddingModel(target: ModelTarget): EmbeddingModelV3 {
    const key = `${target.provider}:${target.model}`;
    let model = this.embeddingModels.get(key);
    if (!model) {
      model =
        target.provider === "offline"
          ? new OfflineEmbeddingModel({ dimensions: this.config.embeddingDimensions, modelId: target.model })
          : this.factory(target).embedding(target.model);
      this.embeddingModels.set(key, model);
    }
    return model;
  }

  /**
   * Request settings that only exist as provider options (each provider reads its own key). The
   * request is the gateway's GenerateRequest, named by shape: the gateway imports this registry.
   */
  languageOptions(target: ModelTarget, request: { parallelToolCalls?: boolean; tools?: LanguageModelV3FunctionTool[] }): SharedV3ProviderOptions | undefined {
    if (request.parallelToolCalls === undefined || !request.tools?.length) return undefined;
    if (target.provider === "openai") return { openai: { parallelToolCalls: request.parallelToolCalls } };
    // The compatible provider copies unknown options of its own key into the request body.
    if (target.provider === "compatible") return { compatible: { parallel_tool_calls: request.parallelToolCalls } };
    // Gemini has no such switch; the offline model never calls more than one tool.
    return undefined;
  }

  /** Every stored vector has the deployment's dimension; ask each provider for exactly that. */
  embeddingOptions(target: ModelTarget): SharedV3ProviderOptions | undefined {
    const dimensions = this.config.embeddingDimensions;
    if (target.provider === "openai") return { openai: { dimensions } };
    if (target.provider === "google") return { google: { outputDimensionality: dimensions } };
    if (target.provider === "compatible") return { compatible: { dimensions } };
    return undefined;
  }

  private factory(target: ModelTarget): Factory {
    const factory = this.factories.get(target.provider);
    if (!factory) throw new Error(`Provider ${target.provider} is not configured`);
    return factory;
  }
}
