export * from "./enums";
export * from "./accounts";
export * from "./directory";
export * from "./subscriptions";
export * from "./audit";
export * from "./settings";
export * from "./billing";
export * from "./usage";
