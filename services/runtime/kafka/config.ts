import { z } from "zod";
import { describeZodError } from "../../shared/zod-error.ts";

const Broker = z.string().regex(/^[^\s:,]+:\d{1,5}$/, "a broker is host:port");

export const KafkaOptions = z.object({
  brokers: z.array(Broker).min(1, "at least one broker (host:port) is needed"),
  clientId: z.string().min(1).default("sca"),
  /** A member that stops heartbeating loses its partitions after this; short, so a SIGKILLed member is replaced quickly. */
  sessionTimeoutMs: z.number().int().min(6_000).default(10_000),
  heartbeatIntervalMs: z.number().int().positive().default(1_000),
  /**
   * Longest a fetch waits on the broker for data; bounds how late close() and pause() take effect.
   * Also how long kafkajs sleeps when every partition is paused, and so how late the runner's resume
   * after a commit takes effect: at 500 ms a fast stage sat idle behind its own backpressure (one
   * no-op stage moved 34-40k records/s, at 100 ms 41-43k). Idle fetches at 10/s cost the broker nothing.
   */
  maxWaitMs: z.number().int().positive().default(100),
  /** How long a commit (or a plain send) keeps retrying through broker outages before it gives up and throws. */
  commitRetryMs: z.number().int().positive().default(120_000),
  /** Broker-side transaction timeout: a dead producer's open transaction is aborted after this. */
  transactionTimeoutMs: z.number().int().positive().default(60_000),
  /** For topics this client creates; unset leaves it to the broker's default.replication.factor. */
  replicationFactor: z.number().int().positive().optional(),
});
export type KafkaOptions = z.input<typeof KafkaOptions>;
export type KafkaConfig = z.output<typeof KafkaOptions>;

/** "host:port,host:port" (KAFKA_BROKERS, --brokers) to a list, with an error naming the bad entry. */
export function parseBrokers(list: string | undefined, source = "KAFKA_BROKERS"): string[] {
  if (!list?.trim()) throw new Error(`${source} is not set: give the brokers as host:port[,host:port...]`);
  const brokers = list
    .split(",")
    .map((b) => b.trim())
    .filter(Boolean);
  for (const b of brokers) {
    const r = Broker.safeParse(b);
    if (!r.success) throw new Error(`${source}: "${b}" is not host:port`);
  }
  return brokers;
}

export function parseKafkaOptions(opts: KafkaOptions): KafkaConfig {
  const r = KafkaOptions.safeParse(opts);
  if (!r.success) throw new Error(`invalid kafka options: ${describeZodError(r.error, opts)}`);
  return r.data;
}
