export * from "./events";
export * from "./delivery";
export * from "./endpoint-url";
