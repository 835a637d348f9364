export { KafkaTransport } from "./transport.ts";
export { type KafkaOptions, parseBrokers } from "./config.ts";
export { FencedError } from "./errors.ts";
