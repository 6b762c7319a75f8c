export * from "./connect";
export * from "./schema/index";
