import { closeSync, createReadStream, createWriteStream, openSync, readSync } from "node:fs";
import { once } from "node:events";
import { createInterface } from "node:readline";
import cliProgress from "cli-progress";
import type { Command } from "commander";
import { z } from "zod";
import { BackendName, createSandbox, type ExecResult, type Sandbox } from "../../sandbox/index.ts";

const Flags = z.object({
  input: z.string().min(1),
  output: z.string().min(1),
  backend: BackendName,
  runtime: z.enum(["auto", "runsc", "runc"]),
  image: z.string().min(1).optional(),
  concurrency: z.coerce.number().int().min(1).max(256),
  timeout: z.coerce.number().positive().max(3600),
  memory: z.coerce.number().int().min(64).max(65536),
  retries: z.coerce.number().int().min(0).max(10),
});

/** One input line: a program and anything else, which is passed through to the output. */
const InputLine = z.looseObject({ id: z.string().min(1), code: z.string(), tests: z.string() });

/** Exit status when some program got no verdict (sandbox errors that outlived their retries). */
const EXIT_NO_VERDICT = 2;
/** Exit status when no input line was a program: a wrong file, not a run whose programs all failed. */
const EXIT_NO_PROGRAM = 1;

export function register(program: Command): void {
  const sandbox = program.command("sandbox").description("run untrusted Python programs in the sandbox");
  sandbox
    .command("run")
    .description(
      "run every {id, code, tests} line of a JSONL file in the sandbox; write {id, status, exit_code, signal, duration_ms, stdout_tail, stderr_tail, tampering} lines (other input fields are passed through). Exits 0 when every program got a verdict, whatever the verdicts; 1 when no line held a program; 2 when some program got no verdict.",
    )
    .requiredOption("--input <file>", "JSONL input, one {id, code, tests} per line")
    .requiredOption("--output <file>", "JSONL output, one result per input program, in completion order")
    .option(
      "--backend <name>",
      "docker | bwrap | pod | auto (docker when an engine answers and an image is set, else bwrap); default $SCA_SANDBOX_BACKEND",
      process.env.SCA_SANDBOX_BACKEND ?? "auto",
    )
    .option("--runtime <name>", "docker runtime: runsc | runc | auto (gVisor when the engine has it)", "auto")
    .option("--image <ref>", "sandbox image for the docker backend (default $SCA_SANDBOX_IMAGE)")
    .option("--concurrency <n>", "programs running at once", "2")
    .option("--timeout <seconds>", "wall-time limit per program", "10")
    .option("--memory <mb>", "address-space limit per program, MiB", "4096")
    .option("--retries <n>", "re-runs of a program that hit a sandbox (infrastructure) error", "2")
    .action(async (raw: Record<string, unknown>) => {
      const parsed = Flags.safeParse(raw);
      if (!parsed.success) {
        const i = parsed.error.issues[0];
        const key = String(i.path[0]);
        throw new Error(`sandbox run: --${key} ${JSON.stringify(raw[key])}: ${i.message}`);
      }
      process.exitCode = await runFile(parsed.data);
    });
}

async function runFile(f: z.infer<typeof Flags>): Promise<number> {
  const total = process.stderr.isTTY ? countLines(f.input) : 0;
  const sandbox = await createSandbox({
    backend: f.backend,
    runtime: f.runtime,
    image: f.image,
    concurrency: f.concurrency,
    limits: { timeoutSeconds: f.timeout, memoryMb: f.memory },
  });
  console.error(`sandbox: ${sandbox.backend} (${sandbox.image}), ${f.concurrency} at once`);
  const out = createWriteStream(f.output);
  const bar = process.stderr.isTTY
    ? new cliProgress.SingleBar(
        { format: "{bar} {value}/{total} programs | {rate}/s | {statuses}", stream: process.stderr, hideCursor: true },
        cliProgress.Presets.shades_classic,
      )
    : null;
  const counts: Record<string, number> = {};
  const started = Date.now();
  let done = 0;
  let malformed = 0;
  bar?.start(total, 0, { rate: "0", statuses: "" });

  const write = async (line: string) => {
    if (!out.write(line + "\n")) await once(out, "drain");
  };
  const inFlight = new Set<Promise<void>>();
  const lines = createInterface({ input: createReadStream(f.input), crlfDelay: Infinity });
  let n = 0;
  try {
    for await (const text of lines) {
      n++;
      if (!text.trim()) continue;
      const item = parseLine(text);
      if (typeof item === "string") {
        malformed++;
        bar?.increment(1, { rate: rate(done, started), statuses: summary(counts) });
        logAbove(bar, `sandbox: line ${n} skipped: ${item}`);
        continue;
      }
      // Bounded: a few programs queued per worker, never the whole file in memory.
      while (inFlight.size >= 2 * f.concurrency) await Promise.race(inFlight);
      const p = runWithRetries(sandbox, item, f.retries).then(async (r) => {
        const { code: _code, tests: _tests, ...rest } = item;
        await write(
          JSON.stringify({
            ...rest,
            id: item.id,
            status: r.status,
            exit_code: r.exit_code,
            signal: r.signal,
            duration_ms: r.duration_ms,
            stdout_tail: r.stdout_tail,
            stderr_tail: r.stderr_tail,
            tampering: r.tampering,
          }),
        );
        counts[r.status] = (counts[r.status] ?? 0) + 1;
        done++;
        bar?.increment(1, { rate: rate(done, started), statuses: summary(counts) });
      });
      inFlight.add(p);
      void p.finally(() => inFlight.delete(p));
    }
    await Promise.all(inFlight);
  } finally {
    bar?.stop();
    await sandbox.close();
    out.end();
    await once(out, "finish");
  }
  if (done === 0 && malformed > 0) {
    console.error(`sandbox: none of the ${malformed} input lines held a program ({id, code, tests}): nothing was run`);
    return EXIT_NO_PROGRAM;
  }
  console.error(
    `sandbox: ${done} programs in ${((Date.now() - started) / 1000).toFixed(1)} s (${rate(done, started)}/s): ${summary(counts) || "none"}${malformed ? `; ${malformed} malformed lines skipped` : ""}`,
  );
  return counts.sandbox_error ? EXIT_NO_VERDICT : 0;
}

async function runWithRetries(sandbox: Sandbox, item: z.infer<typeof InputLine>, retries: number): Promise<ExecResult> {
  let r = await sandbox.run({ code: item.code, tests: item.tests });
  for (let i = 0; i < retries && r.status === "sandbox_error"; i++) r = await sandbox.run({ code: item.code, tests: item.tests });
  if (r.status === "sandbox_error" && r.error) r = { ...r, stderr_tail: r.error };
  return r;
}

function parseLine(text: string): z.infer<typeof InputLine> | string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return `not JSON (${(e as Error).message})`;
  }
  const r = InputLine.safeParse(value);
  if (r.success) return r.data;
  return r.error.issues.map((i) => `${i.path.join(".") || "line"}: ${i.message}`).join("; ");
}

/** Newlines in the file, read in chunks (only for the progress bar's total). */
function countLines(path: string): number {
  const fd = openSync(path, "r");
  const buf = Buffer.alloc(1 << 20);
  let lines = 0;
  let last = 10;
  try {
    for (let n; (n = readSync(fd, buf, 0, buf.length, null)) > 0; ) {
      for (let i = 0; i < n; i++) if (buf[i] === 10) lines++;
      last = buf[n - 1];
    }
  } finally {
    closeSync(fd);
  }
  return last === 10 ? lines : lines + 1;
}

function rate(done: number, started: number): string {
  return (done / Math.max(0.001, (Date.now() - started) / 1000)).toFixed(1);
}

function summary(counts: Record<string, number>): string {
  return Object.entries(counts)
    .map(([k, v]) => `${k} ${v}`)
    .join(", ");
}

function logAbove(bar: cliProgress.SingleBar | null, msg: string): void {
  if (!bar) return void console.error(msg);
  // Clear the bar's line, print, and let the next update redraw it.
  process.stderr.write(`\r\x1b[2K${msg}\n`);
}
