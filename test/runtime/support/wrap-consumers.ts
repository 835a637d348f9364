import type { ConsumerOptions, StreamConsumer, Transport } from "../../../services/runtime/transport.ts";

/** A real transport whose consumers each pass through `wrap`: to count their calls or make one fail. */
export function wrapConsumers(inner: Transport, wrap: (consumer: StreamConsumer, opts: ConsumerOptions) => StreamConsumer): Transport {
  return {
    kind: inner.kind,
    admin: () => inner.admin(),
    producer: () => inner.producer(),
    close: () => inner.close(),
    readPartitions: (topic, from, onRecords) => inner.readPartitions(topic, from, onRecords),
    consumer: async (opts) => wrap(await inner.consumer(opts), opts),
  };
}

/** Every call of `c`, forwarded: spread it and override the calls to change. */
export function forwarding(c: StreamConsumer): StreamConsumer {
  return {
    commitScope: c.commitScope,
    start: (handlers) => c.start(handlers),
    pause: (partitions) => c.pause(partitions),
    resume: (partitions) => c.resume(partitions),
    commit: (outputs, offsets) => c.commit(outputs, offsets),
    close: () => c.close(),
  };
}
