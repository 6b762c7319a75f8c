export * from "./errors/domain-error";
export * from "./catalog/tier";
export * from "./catalog/catalog";
export * from "./subscription/status";
export * from "./subscription/subscription";
export * from "./subscription/targets";
export * from "./time/period";
