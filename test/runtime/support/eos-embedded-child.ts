// The whole exactly-once pipeline in one process over the embedded log (one process owns the log),
// for the parent test to SIGKILL and restart. argv: <state dir> <prefix>. Prints one JSON line
// `{"progress": n}` (records committed by the three stages together) every 50 ms.
import { pino } from "pino";
import { EmbeddedTransport } from "../../../services/runtime/embedded/index.ts";
import { StageRunner } from "../../../services/runtime/runner.ts";
import type { StageDef } from "../../../services/runtime/stage.ts";
import { EOS_STAGES, eosStage } from "./eos-stage.ts";
import { itemCodec } from "./items.ts";

const [dir, prefix] = process.argv.slice(2);
const transport = EmbeddedTransport.open(dir, { fsync: false });
const stages = EOS_STAGES.map((name) => eosStage(name, prefix) as StageDef);
const runners = stages.map(
  (stage) =>
    new StageRunner({
      transport,
      codec: itemCodec(),
      stage,
      log: pino({ level: "warn" }, pino.destination(2)),
      concurrency: 32,
      commitIntervalMs: 20,
      backoff: { baseMs: 5, maxMs: 50 },
    }),
);
for (const r of runners) await r.start();
const admin = transport.admin();
setInterval(async () => {
  let progress = 0;
  for (const s of stages) for (const o of await admin.groupOffsets(s.name, s.input)) progress += Number(o.offset);
  process.stdout.write(`${JSON.stringify({ progress })}\n`);
}, 50);
