import { createRequire } from "node:module";
import { setTimeout as sleep } from "node:timers/promises";
import { backoffDelay } from "../../shared/backoff.ts";

/**
 * Offset fetches that never answer with offsets a transaction is still committing (KIP-447's
 * `require_stable`, OffsetFetch v7). kafkajs stops at v4, where the group coordinator answers with
 * the group's previous offsets until it has applied a committed transaction's offsets, and it
 * applies them in a task of its own some time after the commit returned and after a new producer
 * with the same transactional id was let in. So a partition's new owner, fencing the old owner and
 * then reading where to resume, could resume before the old owner's last commit and emit its outputs
 * again; a commit retried after a timeout could take a landed commit for a lost one. With v7 the
 * broker answers UNSTABLE_OFFSET_COMMIT instead, and the fetch is asked again until the offsets are
 * final.
 */

const require = createRequire(import.meta.url);

/** Loaded on first use: kafkajs-patch.ts imports this module before any kafkajs module may load. */
let protocol:
  | {
      Encoder: new () => KafkaEncoder;
      Decoder: new (b: Buffer) => KafkaDecoder;
      /** kafkajs' rule since v2, which its v3 and v4 share: a group or partition error fails the request (UNSTABLE_OFFSET_COMMIT, retriable, among them). */
      parse(data: OffsetFetchResponse): Promise<OffsetFetchResponse>;
    }
  | undefined;
function kafkajsProtocol(): NonNullable<typeof protocol> {
  protocol ??= {
    Encoder: require("kafkajs/src/protocol/encoder.js"),
    Decoder: require("kafkajs/src/protocol/decoder.js"),
    parse: (require("kafkajs/src/protocol/requests/offsetFetch/v2/response.js") as Pick<NonNullable<typeof protocol>, "parse">).parse,
  };
  return protocol;
}

interface KafkaEncoder {
  writeInt8(v: number): KafkaEncoder;
  writeInt32(v: number): KafkaEncoder;
  writeUVarInt(v: number): KafkaEncoder;
  writeUVarIntString(v: string): KafkaEncoder;
  writeUVarIntArray(v: KafkaEncoder[] | null): KafkaEncoder;
}

interface KafkaDecoder {
  offset: number;
  readInt16(): number;
  readInt32(): number;
  readInt64(): { toString(): string };
  readUVarInt(): number;
  readUVarIntString(): string | null;
  readUVarIntArray<T>(reader: (d: KafkaDecoder) => T): T[] | null;
}

interface PartitionOffset {
  partition: number;
  offset: string;
  metadata: string | null;
  errorCode: number;
}

interface OffsetFetchResponse {
  throttleTime: number;
  clientSideThrottleTime: number;
  responses: Array<{ topic: string; partitions: PartitionOffset[] }>;
  errorCode: number;
}

const OFFSET_FETCH = 9;

/** Tagged fields end every structure of a flexible version; none are defined for OffsetFetch v7. */
function skipTaggedFields(d: KafkaDecoder): void {
  const n = d.readUVarInt();
  for (let i = 0; i < n; i++) {
    d.readUVarInt();
    d.offset += d.readUVarInt();
  }
}

function decodeV7(raw: Buffer): OffsetFetchResponse {
  const d = new (kafkajsProtocol().Decoder)(raw);
  // kafkajs reads the correlation id of the response header; v1 of that header adds tagged fields
  skipTaggedFields(d);
  const throttleTime = d.readInt32();
  const responses =
    d.readUVarIntArray((t) => {
      const topic = t.readUVarIntString() ?? "";
      const partitions =
        t.readUVarIntArray((p) => {
          const partition = p.readInt32();
          const offset = p.readInt64().toString();
          p.readInt32(); // committed leader epoch
          const metadata = p.readUVarIntString();
          const errorCode = p.readInt16();
          skipTaggedFields(p);
          return { partition, offset, metadata, errorCode };
        }) ?? [];
      skipTaggedFields(t);
      return { topic, partitions };
    }) ?? [];
  const errorCode = d.readInt16();
  skipTaggedFields(d);
  // as kafkajs' v4: the broker already answered; the client waits out the throttle before its next request
  return { throttleTime: 0, clientSideThrottleTime: throttleTime, responses, errorCode };
}

/** OffsetFetch v7 with require_stable, in kafkajs' request shape (the broker picks it over v4 when it supports it). */
export function offsetFetchV7({ groupId, topics }: { groupId: string; topics: Array<{ topic: string; partitions: Array<{ partition: number }> }> | null }) {
  const { Encoder } = kafkajsProtocol();
  return {
    request: {
      apiKey: OFFSET_FETCH,
      apiVersion: 7,
      apiName: "OffsetFetch",
      encode: async () =>
        new Encoder()
          // kafkajs writes request header v1; its v2, which flexible versions take, adds tagged fields
          .writeUVarInt(0)
          .writeUVarIntString(groupId)
          .writeUVarIntArray(
            topics === null
              ? null
              : topics.map((t) =>
                  new Encoder()
                    .writeUVarIntString(t.topic)
                    .writeUVarIntArray(t.partitions.map((p) => new Encoder().writeInt32(p.partition)))
                    .writeUVarInt(0),
                ),
          )
          .writeInt8(1) // require_stable
          .writeUVarInt(0),
    },
    response: { decode: async (raw: Buffer) => decodeV7(raw), parse: (data: OffsetFetchResponse) => kafkajsProtocol().parse(data) },
  };
}

/** Longer than any commit takes; an abandoned transaction is aborted sooner by its partition's next owner, who fences it. */
export const UNSTABLE_WAIT_MS = 30_000;

type OffsetFetch = (this: unknown, args: unknown) => Promise<unknown>;

/** A broker's offsetFetch that asks again while the broker answers UNSTABLE_OFFSET_COMMIT, as the Java consumer does. */
export function untilStable(fetch: OffsetFetch, waitMs = UNSTABLE_WAIT_MS): OffsetFetch {
  return async function (this: unknown, args: unknown) {
    const deadline = Date.now() + waitMs;
    for (let attempt = 1; ; attempt++) {
      try {
        return await fetch.call(this, args);
      } catch (e) {
        if ((e as { type?: string }).type !== "UNSTABLE_OFFSET_COMMIT" || Date.now() >= deadline) throw e;
        await sleep(backoffDelay(attempt, { baseMs: 20, maxMs: 500 }));
      }
    }
  };
}
