import { describe, expect, it } from "vitest";
import { type FetchedMessage, filterAbortedMessages } from "../../services/runtime/kafka/read-committed-filter.ts";

const ABORT = Buffer.from([0, 0, 0, 0]);
const COMMIT = Buffer.from([0, 0, 0, 1]);

/** A fetched partition as offset → [producer, record value, or the marker it is]. */
function fetched(log: Array<[string, string | "abort" | "commit" | "plain"]>): Array<FetchedMessage & { value: string }> {
  return log.map(([producerId, v], offset) => {
    const control = v === "abort" || v === "commit";
    return {
      offset: String(offset),
      key: v === "abort" ? ABORT : v === "commit" ? COMMIT : Buffer.from("k"),
      value: v,
      isControlRecord: control,
      batchContext: { producerId, inTransaction: v !== "plain" },
    };
  });
}

const kept = (messages: Array<{ value: string; isControlRecord?: boolean }>) => messages.filter((m) => !m.isControlRecord).map((m) => m.value);

describe("the read-committed filter of fetched messages", () => {
  // 0 a1 (a, aborted) | 1 b1 (b, aborted) | 2 c1 | 3 commit c | 4 b2 | 5 a2 | 6 abort b | 7 abort a | 8 c2 | 9 commit c
  const log = fetched([
    ["a", "a1"],
    ["b", "b1"],
    ["c", "c1"],
    ["c", "commit"],
    ["b", "b2"],
    ["a", "a2"],
    ["b", "abort"],
    ["a", "abort"],
    ["c", "c2"],
    ["c", "commit"],
  ]);
  // As the broker lists them: in the order they ended.
  const aborted = [
    { producerId: "b", firstOffset: "1" },
    { producerId: "a", firstOffset: "0" },
  ];

  it("drops an aborted transaction that began before another listed ahead of it", () => {
    expect(kept(filterAbortedMessages({ messages: log, abortedTransactions: aborted }))).toEqual(["c1", "c2"]);
  });

  it("enters every aborted transaction that began before the fetch's first message", () => {
    for (const from of [4, 5]) expect(kept(filterAbortedMessages({ messages: log.slice(from), abortedTransactions: aborted }))).toEqual(["c2"]);
  });

  it("keeps a producer's records after its abort marker, and records outside transactions", () => {
    const messages = fetched([
      ["a", "a1"],
      ["a", "abort"],
      ["a", "a2"],
      ["a", "commit"],
      ["p", "plain"],
    ]);
    expect(kept(filterAbortedMessages({ messages, abortedTransactions: [{ producerId: "a", firstOffset: "0" }] }))).toEqual(["a2", "plain"]);
  });

  it("takes only a control record for an abort marker, not a record whose key has the same bytes", () => {
    const messages = fetched([
      ["a", "a1"],
      ["a", "a2"],
      ["a", "abort"],
    ]);
    messages[0].key = Buffer.from(ABORT);
    expect(kept(filterAbortedMessages({ messages, abortedTransactions: [{ producerId: "a", firstOffset: "0" }] }))).toEqual([]);
  });

  it("returns the messages as they are when nothing was aborted", () => {
    expect(filterAbortedMessages({ messages: log, abortedTransactions: [] })).toBe(log);
  });
});
