export * from "./enums";
export * from "./accounts";
export * from "./directory";
export * from "./subscriptions";
export * from "./audit";
