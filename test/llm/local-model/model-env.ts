import { resolveModelPath } from "../../../services/llm/local-model/resolve.ts";

/**
 * The installed GGUF, or a failure telling how to install it: tests on the real model never skip and
 * never fetch ~250 MB behind the caller's back (test/infra/install-model.sh does that in CI).
 */
export function installedModelPath(): Promise<string> {
  return resolveModelPath({ install: false });
}
