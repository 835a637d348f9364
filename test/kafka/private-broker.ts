import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
const infra = join(import.meta.dirname, "..", "infra");

export interface PrivateBroker {
  brokers: string[];
  /** The broker's control script: `bash ctl stop|start|kill`. */
  ctl: string;
  stop(): Promise<void>;
}

/**
 * A broker of its own for a test that stops and restarts it: the shared one from with-infra.sh
 * serves the test files running in parallel, which a restart would break. Same scripts, its own
 * run directory and the next free ports.
 */
export async function startPrivateBroker(): Promise<PrivateBroker> {
  const dir = mkdtempSync(join(tmpdir(), "sca-private-kafka-"));
  const env = { ...process.env, SCA_INFRA_RUN: dir, KAFKA_PORT: "" };
  const stop = async () => {
    await run("bash", [join(infra, "stop-kafka.sh")], { env });
    rmSync(dir, { recursive: true, force: true });
  };
  let stdout: string;
  try {
    ({ stdout } = await run("bash", [join(infra, "start-kafka.sh")], { env }));
  } catch (e) {
    await stop().catch(() => undefined);
    throw new Error(`could not start a private Kafka broker: ${(e as { stderr?: string }).stderr ?? (e as Error).message}`);
  }
  const vars = Object.fromEntries([...stdout.matchAll(/^export (\w+)=(.*)$/gm)].map((m) => [m[1], m[2]]));
  if (!vars.KAFKA_BROKERS || !vars.SCA_KAFKA_CTL) {
    await stop();
    throw new Error(`start-kafka.sh printed no KAFKA_BROKERS / SCA_KAFKA_CTL: ${stdout}`);
  }
  return { brokers: vars.KAFKA_BROKERS.split(","), ctl: vars.SCA_KAFKA_CTL, stop };
}
