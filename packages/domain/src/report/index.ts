export * from "./columns";
export * from "./days";
export * from "./row";
export * from "./csv";
export * from "./files";
