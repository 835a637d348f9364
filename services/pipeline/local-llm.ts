import type { Logger } from "pino";
import { resolveModelPath } from "../llm/local-model/resolve.ts";
import { type LocalModelServer, startLocalModelServer } from "../llm/local-model/server.ts";

/** The small CPU model behind an OpenAI-compatible server on a free local port: `sca run`'s default LLM. */
export async function startLocalLlm(log: Logger): Promise<LocalModelServer> {
  const modelPath = await resolveModelPath({ install: true });
  const server = await startLocalModelServer({ modelPath, port: 0, host: "127.0.0.1", log: log.child({ component: "local-model" }) });
  log.info({ model: server.model, baseURL: server.baseURL }, "local model serving");
  return server;
}
