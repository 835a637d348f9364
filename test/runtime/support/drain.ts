import { randomBytes } from "node:crypto";
import type { LogRecord, Transport } from "../../../services/runtime/transport.ts";

/**
 * Reads a topic from the beginning in a fresh group until at least `min` records arrived and
 * nothing new came for `quietMs` (so duplicates past `min` would be seen too). `check` throws to give
 * up early, e.g. when the process that should fill the topic died.
 */
export async function drain(
  transport: Transport,
  topic: string,
  opts: { min: number; quietMs?: number; timeoutMs?: number; check?: () => void },
): Promise<LogRecord[]> {
  const quietMs = opts.quietMs ?? 300;
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const consumer = await transport.consumer({ groupId: `drain-${randomBytes(4).toString("hex")}`, topic, fromBeginning: true });
  const all: LogRecord[] = [];
  let lastAt = Date.now();
  await consumer.start({
    onRecords: async (rs) => {
      all.push(...rs);
      lastAt = Date.now();
    },
  });
  const deadline = Date.now() + timeoutMs;
  try {
    while (!(all.length >= opts.min && Date.now() - lastAt >= quietMs)) {
      opts.check?.();
      if (Date.now() > deadline) throw new Error(`drain ${topic}: got ${all.length} of ${opts.min} records within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 25));
    }
  } finally {
    await consumer.close();
  }
  return all;
}

export async function until(cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
