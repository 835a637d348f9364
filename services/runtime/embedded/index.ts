export { EmbeddedLog } from "./log.ts";
export { EmbeddedTransport } from "./transport.ts";
