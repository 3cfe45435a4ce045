export * from "./auth";
export * from "./tenancy";
export * from "./audit";
export * from "./ai";
export * from "./documents";
export * from "./jobs";
export * from "./billing";
