import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSandbox, type Sandbox } from "../../services/sandbox/index.ts";
import { BACKENDS } from "./fixtures.ts";
import { processesOf } from "./processes.ts";
import { CASES, caseTimeout, expectContained, FAILING_TESTS, type HostileEnv, LIMITS, materialise, NEXT_PROGRAM } from "./hostile-cases.ts";

const SECRET = "s3cr3t-value-that-must-not-leak";
const hostDir = mkdtempSync(join(tmpdir(), "sca-hostile-"));
const hostFile = join(hostDir, "secret.txt");
writeFileSync(hostFile, SECRET);
const outside = join(hostDir, "written-from-sandbox");

// What a program must not see: the host's secrets and our own variables.
process.env.SCA_HOSTILE_SECRET_KEY = SECRET;
process.env.HOSTILE_API_TOKEN = SECRET;

let server: Server;
let connections = 0;
let port = 0;
const env: HostileEnv = { secrets: [SECRET], connections: () => connections, outsideWritten: () => existsSync(outside) };

beforeAll(async () => {
  server = createServer((s) => {
    connections++;
    s.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as { port: number }).port;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  rmSync(hostDir, { recursive: true, force: true });
});

describe.each(BACKENDS)("hostile code on $name", ({ options }) => {
  let sandbox: Sandbox;
  let uid = 0;

  beforeAll(async () => {
    // One worker, so that "the next program" runs in the very same warm container or sandbox.
    sandbox = await createSandbox({ ...options, concurrency: 1, limits: LIMITS });
    await sandbox.warm();
    const who = await sandbox.run({ code: "import os\nprint(os.getuid())\n", tests: "" });
    uid = Number(who.stdout_tail.trim());
    expect(uid).toBeGreaterThan(0);
  });

  afterAll(async () => {
    await sandbox?.close();
  });

  it.each(CASES)("$name → $expect, and the same worker runs the next program", async (c) => {
    const tests = c.expect === "pass" ? "" : FAILING_TESTS;
    const timeoutSeconds = caseTimeout(c);
    const r = await sandbox.run({ code: materialise(c, { port, hostFile, outside }), tests }, { timeoutSeconds });
    c.check?.(r, env);
    // Whatever it started is gone before the verdict is returned: the host stays healthy.
    expect(processesOf(uid)).toBe(0);
    const next = await sandbox.run(NEXT_PROGRAM);
    expectContained(c, r, next);
  });
});
