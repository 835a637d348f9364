// Runs inside the verdicts pod's container (verdicts-pod.deploy.test.ts mounts this folder and test/sandbox there and starts it
// with the pod's security context): reads {limits, port, ourFile, outside, programs, next} as JSON on
// stdin, runs every program through the sandbox the pod's environment configures (SCA_SANDBOX_*), each
// followed by `next` on the same worker, and writes one JSON document: each result with what the pod
// saw right after it (connections to our listener, the file outside, processes left under the uid).
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { dirname } from "node:path";
import { text } from "node:stream/consumers";
import { createSandbox, type LimitsInput } from "../../../services/sandbox/index.ts";
import { sandboxOptionsFromEnv } from "../../../services/stages/verdicts/config.ts";
import { processesOf } from "../../sandbox/processes.ts";

interface Input {
  limits: LimitsInput;
  /** Where we listen, as the service listens for /metrics. */
  port: number;
  /** A file of ours (root, 0600) holding `secret`: what a secret mounted as a file would be. */
  ourFile: string;
  secret: string;
  outside: string;
  programs: Array<{ code: string; tests: string; timeoutSeconds: number }>;
  next: { code: string; tests: string };
}

const input = JSON.parse(await text(process.stdin)) as Input;
let connections = 0;
const server = createServer((s) => {
  connections++;
  s.destroy();
});
await new Promise<void>((resolve) => server.listen(input.port, "127.0.0.1", resolve));
for (const f of [input.ourFile, input.outside]) mkdirSync(dirname(f), { recursive: true, mode: 0o755 });
writeFileSync(input.ourFile, input.secret, { mode: 0o600 });

const base = sandboxOptionsFromEnv(process.env);
const sandbox = await createSandbox({ ...base, concurrency: 1, limits: input.limits });
const results = [];
try {
  const who = await sandbox.run({ code: "import os\nprint(os.getuid())\n", tests: "" });
  const uid = Number(who.stdout_tail.trim());
  for (const p of input.programs) {
    const result = await sandbox.run({ code: p.code, tests: p.tests }, { timeoutSeconds: p.timeoutSeconds });
    const seen = { connections, outsideWritten: existsSync(input.outside), leftover: processesOf(uid) };
    const next = await sandbox.run(input.next);
    results.push({ result, seen, next });
  }
  process.stdout.write(JSON.stringify({ backend: sandbox.backend, uid, results }) + "\n");
} finally {
  await sandbox.close();
  server.close();
}
