// Runs inside the verdicts pod's container (test/bench/sandbox.ts starts it with the flags the k8s
// manifests give that pod, this folder mounted): the sandbox the pod's environment configures, driven
// over stdin/stdout in JSON lines, so that the bench times the pod path beside the others in one run.
//   {"op":"run","programs":[src...]}  -> {"seconds":s,"statuses":[...]}
//   {"op":"startup","workers":n}      -> {"ms":[...]} each a fresh worker's start until ready
import { createInterface } from "node:readline";
import { createSandbox } from "../../../services/sandbox/index.ts";
import { sandboxOptionsFromEnv } from "../../../services/stages/verdicts/config.ts";

const concurrency = Number(process.argv[2] ?? "2");
const options = { ...sandboxOptionsFromEnv(process.env), concurrency, maxRunsPerWorker: 100_000 };
const sandbox = await createSandbox(options);
await sandbox.warm();
const say = (o: unknown) => process.stdout.write(JSON.stringify(o) + "\n");
say({ ready: true, backend: sandbox.backend });

for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
  const cmd = JSON.parse(line) as { op: "run"; programs: string[] } | { op: "startup"; workers: number };
  if (cmd.op === "run") {
    const t0 = performance.now();
    const statuses: string[] = new Array(cmd.programs.length);
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < cmd.programs.length) {
          const i = next++;
          const r = await sandbox.run({ code: cmd.programs[i], tests: "" });
          statuses[i] = r.status === "sandbox_error" ? `${r.status}: ${r.error}` : r.status;
        }
      }),
    );
    say({ seconds: (performance.now() - t0) / 1000, statuses });
  } else {
    const ms: number[] = [];
    for (let i = 0; i < cmd.workers; i++) {
      const one = await createSandbox({ ...options, concurrency: 1 });
      const t0 = performance.now();
      await one.warm();
      ms.push(performance.now() - t0);
      await one.close();
    }
    say({ ms });
  }
}
await sandbox.close();
