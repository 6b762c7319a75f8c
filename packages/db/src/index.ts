export * from "./connect";
export * from "./schema/index";
export * from "./rows";
export * from "./prepared";
export * from "./mappers";
export * from "./rules-sql";
export * from "./name-fold";
export * from "./replication";
