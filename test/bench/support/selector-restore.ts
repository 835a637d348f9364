// One selector process restoring its partitions, for `npm run bench -- selector`: prints one JSON
// line with how long the restore took, how long since the process started, and its memory.
// mode "store": the partitioned LMDB store (cold or warm, by what SCA_STORE_DIR holds);
// mode "heap": every record of the changelog decoded into one in-memory map, as the selector did before.
import { readFileSync } from "node:fs";
import { pino } from "pino";
import type { SelectorState } from "../../../schemas/records.ts";
import { readTopic } from "../../../services/runtime/read-topic.ts";
import { JsonCodec } from "../../../services/runtime/codec.ts";
import { KafkaTransport } from "../../../services/runtime/kafka/index.ts";
import { STATE_TOPIC, createStage } from "../../../services/stages/selector/stage.ts";

const silent = pino({ level: "silent" });
const [mode, brokers, storeDir, partitions] = process.argv.slice(2);
const t = new KafkaTransport({ brokers: brokers.split(",") }, silent);
const codec = new JsonCodec();
const memory = () => {
  const status = readFileSync("/proc/self/status", "utf8");
  const kb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return {
    rssMiB: Math.round(kb("VmRSS") / 1024),
    rssAnonMiB: Math.round(kb("RssAnon") / 1024),
    heapMiB: Math.round(process.memoryUsage().heapUsed / 2 ** 20),
  };
};
const t0 = performance.now();
let instructions: number;
if (mode === "heap") {
  const latest = new Map<string, Buffer>();
  await readTopic(t, STATE_TOPIC, (r) => void (r.key && latest.set(r.key, r.value)));
  const states = new Map<string, SelectorState>();
  for (const [k, v] of latest) states.set(k, codec.decode(STATE_TOPIC, v) as SelectorState);
  latest.clear();
  instructions = states.size;
  globalThis.gc?.();
  console.log(JSON.stringify({ mode, restoreMs: Math.round(performance.now() - t0), readyMs: Math.round(process.uptime() * 1000), instructions, ...memory() }));
} else {
  // The store's own report (records replayed) goes to stderr, for the bench to read.
  const log = pino({ level: "info" }, pino.destination(2));
  const stage = await createStage({ SCA_STORE_DIR: storeDir }, { transport: t, codec, log, isContaminated: () => false, storeDir });
  await stage.partitions!.assigned(Array.from({ length: Number(partitions) }, (_, p) => p));
  const restoreMs = Math.round(performance.now() - t0);
  globalThis.gc?.();
  console.log(JSON.stringify({ mode, restoreMs, readyMs: Math.round(process.uptime() * 1000), openRounds: stage.openRounds(), ...memory() }));
  await stage.close();
}
await t.close();
