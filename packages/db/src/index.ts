export * from "./connect";
export * from "./schema/index";
export * from "./rows";
export * from "./prepared";
