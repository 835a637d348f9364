/**
 * Classifying kafkajs errors. kafkajs wraps protocol errors (retriers add KafkaJSNumberOfRetriesExceeded,
 * non-retriable paths add KafkaJSNonRetriableError), so the protocol error type sits somewhere down
 * the `cause`/`originalError` chain.
 */

function chain(e: unknown): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  let cur: unknown = e;
  while (cur && typeof cur === "object" && out.length < 10) {
    const o = cur as Record<string, unknown>;
    out.push(o);
    cur = o.cause ?? o.originalError;
  }
  return out;
}

const TRANSIENT_NAMES = new Set([
  "KafkaJSConnectionError",
  "KafkaJSConnectionClosedError",
  "KafkaJSRequestTimeoutError",
  "KafkaJSNumberOfRetriesExceeded",
  "KafkaJSBrokerNotFound",
  "KafkaJSMetadataNotLoaded",
  "KafkaJSLockTimeout",
  "KafkaJSTopicMetadataNotLoaded",
  // kafkajs marks it non-retriable, but right after a broker restart the coordinator is still loading
  "KafkaJSGroupCoordinatorNotFound",
]);

/**
 * Worth retrying after kafkajs itself gave up: the broker is unreachable or restarting, or Kafka
 * marks the error retriable. A missing topic or an oversized record is not, and surfaces at once.
 */
export function isTransient(e: unknown): boolean {
  if (isFenced(e)) return false;
  return chain(e).some(
    (o) => TRANSIENT_NAMES.has(String(o.name)) || (typeof o.type === "string" && o.retriable === true) || o.code === "ECONNREFUSED" || o.code === "ECONNRESET",
  );
}

export function protocolErrorTypes(e: unknown): string[] {
  return chain(e).flatMap((o) => (typeof o.type === "string" ? [o.type] : []));
}

/** Another producer with our transactional id has taken over: this instance is a zombie and must stop. */
export function isFenced(e: unknown): boolean {
  return protocolErrorTypes(e).some((t) => t === "INVALID_PRODUCER_EPOCH" || t === "PRODUCER_FENCED" || t === "TRANSACTIONAL_ID_AUTHORIZATION_FAILED");
}

/** The coordinator is still finishing this producer's previous transaction: retry the same step shortly. */
export function isConcurrentTransactions(e: unknown): boolean {
  return protocolErrorTypes(e).includes("CONCURRENT_TRANSACTIONS");
}

/** kafkajs' deleteGroups reports per-group errors in `groups` rather than in the cause chain. */
export function isGroupNotFound(e: unknown): boolean {
  const groups = (e as { groups?: Array<{ error?: unknown }> })?.groups;
  if (Array.isArray(groups) && groups.length) return groups.every((g) => protocolErrorTypes(g.error).includes("GROUP_ID_NOT_FOUND"));
  return protocolErrorTypes(e).includes("GROUP_ID_NOT_FOUND");
}

/** Raised by every commit of a consumer whose transactional id was taken over by a newer instance. */
export class FencedError extends Error {
  constructor(transactionalId: string, cause: unknown) {
    super(
      `producer "${transactionalId}" was fenced: a newer instance with the same id is running; this one must stop (${(cause as Error)?.message ?? cause})`,
      { cause },
    );
    this.name = "FencedError";
  }
}

/** kafkajs' answer to pause/resume while a consumer has no running group (before `run`, or between a crash and its restart). */
export function isConsumerNotRunning(e: unknown): boolean {
  const o = e as { name?: unknown; message?: unknown } | null;
  return o?.name === "KafkaJSNonRetriableError" && typeof o.message === "string" && o.message.includes("consumer#run must be called first");
}
