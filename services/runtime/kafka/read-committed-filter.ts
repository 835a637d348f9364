/** A fetched message as kafkajs' Batch holds it before it drops aborted and control records. */
export interface FetchedMessage {
  offset: string;
  key: Buffer | null;
  isControlRecord?: boolean;
  batchContext: { producerId: string; inTransaction: boolean };
}

/** A fetch response's aborted transaction: its producer, and the offset of its first record. */
export interface AbortedTransaction {
  producerId: string;
  firstOffset: string;
}

/** A control record's key: version 0, then type 0 for ABORT (1 is COMMIT). */
const ABORT_KEY = Buffer.from([0, 0, 0, 0]);

/**
 * The messages of a read-committed fetch that no aborted transaction wrote, as the Java consumer
 * decides it: a producer is aborted from the first offset of its aborted transaction up to its
 * ABORT marker. Replaces kafkajs' filterAbortedMessages, which took the broker's list as ordered
 * by first offset and entered at most one transaction per message. The broker lists aborted
 * transactions in the order they ENDED (its transaction index), so where a transaction that began
 * later was aborted first, or several began before the fetch's first message, kafkajs handed out
 * records of aborted transactions: a replica killed with transactions open in a shared output
 * partition made its aborted outputs visible downstream.
 */
export function filterAbortedMessages<M extends FetchedMessage>({
  messages,
  abortedTransactions,
}: {
  messages: M[];
  abortedTransactions?: AbortedTransaction[];
}): M[] {
  if (!abortedTransactions?.length) return messages;
  const byStart = [...abortedTransactions].sort((a, b) => compareOffsets(a.firstOffset, b.firstOffset));
  let next = 0;
  const aborting = new Set<string>();
  return messages.filter((m) => {
    const offset = BigInt(m.offset);
    while (next < byStart.length && BigInt(byStart[next].firstOffset) <= offset) aborting.add(byStart[next++].producerId);
    const { producerId, inTransaction } = m.batchContext;
    if (m.isControlRecord) {
      if (m.key && ABORT_KEY.equals(Buffer.from(m.key))) aborting.delete(producerId);
      return true;
    }
    return !(inTransaction && aborting.has(producerId));
  });
}

function compareOffsets(a: string, b: string): number {
  const d = BigInt(a) - BigInt(b);
  return d < 0n ? -1 : d > 0n ? 1 : 0;
}
