import { z } from "zod";
import type { Readable, Writable } from "node:stream";
import { createInterface } from "node:readline";
import { TamperingKind } from "../../schemas/records.ts";
import type { supervisorLimits } from "./limits.ts";

/** The supervisor's first line. */
export const Ready = z.object({ ready: z.literal(true), python: z.string(), uid: z.number().int(), separate_uid: z.boolean() });
export type Ready = z.infer<typeof Ready>;

/** One execution as the supervisor saw it: raw facts, classified by classify.ts. */
export const RawResult = z.object({
  id: z.number().int(),
  exit_code: z.number().int().nullable(),
  signal: z.string().nullable(),
  timed_out: z.boolean(),
  completed: z.boolean(),
  exception: z.string().nullable(),
  /** Attempts to forge completion: what the audit hook refused, or a marker we did not write. */
  tampering: z.array(TamperingKind),
  oom_killed: z.boolean(),
  /** Killed for running more processes than its limit (where the kernel does not enforce it: gVisor). */
  too_many_processes: z.boolean(),
  duration_ms: z.number(),
  stdout: z.string(),
  stderr: z.string(),
  stdout_bytes: z.number().int(),
  stderr_bytes: z.number().int(),
  clean: z.boolean(),
});
export type RawResult = z.infer<typeof RawResult>;

const Failure = z.object({ id: z.number().int().nullable(), error: z.string() });
const Reply = z.union([RawResult, Failure]);

export type Request = { code: string } & ReturnType<typeof supervisorLimits>;

/** The sandbox's infrastructure failed (not a fact about the program). */
export class SandboxFault extends Error {
  override name = "SandboxFault";
}

/**
 * JSON lines to and from one supervisor. One request at a time: the pool never shares a worker, so a
 * reply always answers the only pending request; the id is checked all the same.
 */
export class SupervisorChannel {
  private pending: { id: number; resolve(r: RawResult): void; reject(e: Error): void; timer: NodeJS.Timeout } | null = null;
  private nextId = 1;
  private dead: Error | null = null;
  private readyWaiter: { resolve(r: Ready): void; reject(e: Error): void } | null = null;
  readonly ready: Promise<Ready>;

  constructor(
    private readonly input: Writable,
    output: Readable,
    private readonly describe: () => string,
  ) {
    this.ready = new Promise((resolve, reject) => (this.readyWaiter = { resolve, reject }));
    this.ready.catch(() => {});
    const lines = createInterface({ input: output, crlfDelay: Infinity });
    lines.on("line", (line) => this.onLine(line));
    lines.on("close", () => this.fail(new SandboxFault(`supervisor closed its output (${this.describe()})`)));
    input.on("error", (e) => this.fail(new SandboxFault(`supervisor input: ${e.message}`)));
  }

  get alive(): boolean {
    return this.dead === null;
  }

  /** Resolves with the raw result; rejects with SandboxFault when the supervisor errs, dies or hangs. */
  exec(req: Request, graceMs: number): Promise<RawResult> {
    if (this.dead) return Promise.reject(this.dead);
    if (this.pending) return Promise.reject(new SandboxFault("supervisor busy: one request at a time"));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => this.fail(new SandboxFault(`supervisor gave no answer within ${req.timeout_seconds}s + ${graceMs}ms`)),
        req.timeout_seconds * 1000 + graceMs,
      );
      this.pending = { id, resolve, reject, timer };
      this.input.write(JSON.stringify({ ...req, id }) + "\n");
    });
  }

  fail(e: Error): void {
    if (this.dead) return;
    this.dead = e;
    this.readyWaiter?.reject(e);
    const p = this.pending;
    this.pending = null;
    if (p) {
      clearTimeout(p.timer);
      p.reject(e);
    }
  }

  private onLine(line: string): void {
    let msg: unknown;
    try {
      msg = JSON.parse(line);
    } catch {
      return this.fail(new SandboxFault(`supervisor wrote a non-JSON line: ${line.slice(0, 200)}`));
    }
    if (this.readyWaiter) {
      const r = Ready.safeParse(msg);
      const w = this.readyWaiter;
      this.readyWaiter = null;
      if (r.success) w.resolve(r.data);
      else this.fail(new SandboxFault(`supervisor's first line is not a ready message: ${line.slice(0, 200)}`));
      return;
    }
    const p = this.pending;
    const r = Reply.safeParse(msg);
    if (!p || !r.success || r.data.id !== p.id) {
      return this.fail(new SandboxFault(`unexpected supervisor reply: ${line.slice(0, 200)}`));
    }
    this.pending = null;
    clearTimeout(p.timer);
    if ("error" in r.data) p.reject(new SandboxFault(`supervisor error: ${r.data.error}`));
    else p.resolve(r.data);
  }
}
