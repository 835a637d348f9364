import { Registry } from "prom-client";
import { LlmClient } from "../llm/client.ts";
import { llmConfigFromEnv } from "../llm/config.ts";
import { createSandbox } from "../sandbox/index.ts";
import { sandboxOptionsFromEnv } from "../stages/verdicts/config.ts";

/** A setup error found before the first record: the message says what is wrong and what to do. */
export class PreflightError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PreflightError";
  }
}

/** Each check gives up after this long; together they stay well inside the 15 s a newcomer waits for an answer. */
const CHECK_MS = 5_000;

/**
 * `sca run` checks its dependencies before taking any seed: the LLM server answers and serves the
 * model, and the sandbox can start a worker. Without this, a typo in --llm-base-url would show up as
 * minutes of waiting for a server that never was.
 */
export async function preflight(env: NodeJS.ProcessEnv, checks: { llm: boolean; sandbox: boolean }): Promise<void> {
  if (checks.llm) await checkLlm(env);
  if (checks.sandbox) await checkSandbox(env);
}

async function checkLlm(env: NodeJS.ProcessEnv): Promise<void> {
  const config = llmConfigFromEnv(env);
  const client = new LlmClient(config, { registry: new Registry() });
  let models: string[];
  try {
    models = await client.servedModels(AbortSignal.timeout(CHECK_MS));
  } catch (e) {
    const why = (e as Error).name === "TimeoutError" ? `no answer within ${CHECK_MS / 1000} s` : (e as Error).message;
    throw new PreflightError(
      `the LLM server at ${config.baseURL} does not answer GET /models (${why}). ` +
        `Check --llm-base-url (an OpenAI-compatible base URL ending in /v1, e.g. http://gpu-box:8000/v1) and that the server is running; ` +
        `leave --llm-base-url out to use the local CPU model.`,
    );
  }
  if (!models.includes(config.model)) {
    throw new PreflightError(
      `the LLM server at ${config.baseURL} does not serve model "${config.model}"; it serves: ${models.length ? models.join(", ") : "no model at all"}. ` +
        `Pass one of those with --llm-model (or LLM_MODEL).`,
    );
  }
}

async function checkSandbox(env: NodeJS.ProcessEnv): Promise<void> {
  const options = sandboxOptionsFromEnv(env);
  const work = (async () => {
    const sandbox = await createSandbox({ ...options, concurrency: 1 }, env);
    try {
      await sandbox.warm();
    } finally {
      await sandbox.close();
    }
  })();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no worker started within ${CHECK_MS / 1000} s`)), CHECK_MS)));
  try {
    await Promise.race([work, timeout]);
  } catch (e) {
    // A worker still starting is stopped by its own close once it is up.
    void work.catch(() => undefined);
    throw new PreflightError(
      `the sandbox (--sandbox ${options.backend}) cannot start a worker: ${(e as Error).message}. ` +
        `Docker needs a running engine and the sandbox image (bash test/infra/start-docker.sh builds it); bubblewrap needs \`apt-get install bubblewrap\` and root.`,
    );
  } finally {
    clearTimeout(timer);
  }
}
