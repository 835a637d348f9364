import { z } from "zod";

/**
 * Per-execution limits. Defaults follow the reference's container mode (10 s wall, 4 GiB address
 * space); the rest bound what a program may consume without changing what a correct one can do.
 */
export const Limits = z.object({
  timeoutSeconds: z.number().positive().max(3600).default(10),
  memoryMb: z.number().int().min(64).max(65536).default(4096),
  /** Processes and threads of the program together: RLIMIT_NPROC under its own uid. */
  processes: z.number().int().min(1).max(4096).default(64),
  fileMb: z.number().int().min(1).max(4096).default(64),
  openFiles: z.number().int().min(16).max(65536).default(256),
  /** Bytes kept from the end of stdout and of stderr each. */
  outputBytes: z
    .number()
    .int()
    .min(256)
    .max(16 << 20)
    .default(16 << 10),
});
export type Limits = z.infer<typeof Limits>;
export type LimitsInput = z.input<typeof Limits>;

/** The supervisor's request fields for these limits (see supervisor.py). */
export function supervisorLimits(l: Limits) {
  return {
    timeout_seconds: l.timeoutSeconds,
    cpu_seconds: Math.ceil(l.timeoutSeconds) + 1,
    memory_bytes: l.memoryMb * 1024 * 1024,
    processes: l.processes,
    file_bytes: l.fileMb * 1024 * 1024,
    open_files: l.openFiles,
    output_bytes: l.outputBytes,
  };
}
