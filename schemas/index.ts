export * from "./common.ts";
export * from "./records.ts";
export * from "./topics.ts";
