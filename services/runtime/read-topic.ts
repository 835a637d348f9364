import type { LogRecord, Transport } from "./transport.ts";

/**
 * Reads every record a topic holds now (up to each partition's end when the read starts), in
 * offset order per partition. It rides the transport's exact partition reader, which ends a
 * partition at its end offset rather than after a silence: `sca export`, the card's stats and the
 * curation stage's state restore must never see a topic cut short because a batch was slow.
 */
export async function readTopic(transport: Transport, topic: string, onRecord: (r: LogRecord) => void): Promise<number> {
  const admin = transport.admin();
  if (!(await admin.listTopics()).includes(topic)) return 0;
  const from = (await admin.describeTopic(topic)).map((p) => ({ topic, partition: p.partition, offset: String(p.low) }));
  let count = 0;
  await transport.readPartitions(topic, from, (records) => {
    for (const r of records) onRecord(r);
    count += records.length;
  });
  return count;
}
