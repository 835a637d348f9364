import kafkajs from "./kafkajs.ts";
import { pino, type Logger } from "pino";

const { logLevel } = kafkajs;

/** Logs to stderr at warn: stdout belongs to the CLI's output. */
export function defaultLogger(): Logger {
  return pino({ name: "kafka", level: process.env.SCA_KAFKA_LOG_LEVEL ?? "warn" }, pino.destination(2));
}

/** Routes kafkajs' own logging through pino, so it is structured and quiet by default. */
export function kafkajsLogCreator(log: Logger): kafkajs.logCreator {
  return () =>
    ({ namespace, level, log: entry }) => {
      const { message, timestamp: _ts, logger: _l, ...extra } = entry;
      const fields = { ns: namespace, ...extra };
      // kafkajs logs every error response at ERROR, also those its callers retry or we handle
      // (leadership moving, CONCURRENT_TRANSACTIONS): whoever gives up reports the error itself
      if (namespace === "Connection" && message.startsWith("Response ")) log.debug(fields, message);
      // our producers retry beyond kafkajs' limit themselves, keeping sequence numbers (plain) or
      // re-initialising the transactional id (transactions), so this warning does not apply
      else if (message.startsWith("Limiting retries for the idempotent producer")) log.debug(fields, message);
      else if (level === logLevel.ERROR) log.error(fields, message);
      else if (level === logLevel.WARN) log.warn(fields, message);
      else if (level === logLevel.INFO) log.info(fields, message);
      else log.debug(fields, message);
    };
}

/** The kafkajs level matching the pino logger's, so kafkajs does not even build entries pino would drop. */
export function kafkajsLevel(log: Logger): kafkajs.logLevel {
  const n = log.levelVal;
  if (n >= 50) return logLevel.ERROR;
  if (n >= 40) return logLevel.WARN;
  if (n >= 30) return logLevel.INFO;
  return logLevel.DEBUG;
}
