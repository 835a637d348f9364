/**
 * Sandbox: runs untrusted Python programs (model-written code plus its own tests) isolated, at process
 * speed, and says what happened.
 *
 *   import { createSandbox, programFromResponse } from "../sandbox/index.ts";
 *   const sandbox = await createSandbox({ concurrency: 4 });          // docker if reachable, else bwrap
 *   const r = await sandbox.run({ code, tests }, { timeoutSeconds: 5 }); // never throws
 *   r.status; // "pass" | "fail" | "timeout" | "memory" | "crash" | "sandbox_error"
 *   await sandbox.close();
 *
 * - `run(program, limits?)` runs `code`, a blank line, then `tests` as one `__main__` module. Only a
 *   run whose tests returned normally and that exited 0 is a pass: completion is proven by a per-run
 *   nonce written on a private pipe after the program ended normally, so `sys.exit(0)`,
 *   `os._exit(0)`, killing the runner or printing a fake marker are all `fail`. `unittest.main()`
 *   returns when every test passed (and exits 1 otherwise), so unittest suites pass as they should.
 *   A program that tries to reach the marker (frames of the sealed writer, gc scans, ctypes,
 *   /proc/self/mem, tracing...) is refused and judged `fail` with `tampering` saying what it tried
 *   (README.md: what the sandbox guarantees about verdicts).
 * - `sandbox_error` is our infrastructure failing (retry it); the other five are facts about the code.
 * - Limits (defaults as the reference's container mode: 10 s wall, 4 GiB address space; see
 *   limits.ts) hold per execution; per-run limits may lower them, and may raise memory only up to
 *   what the workers were sized for at creation.
 * - Backends (`backend: "auto" | "docker" | "bwrap" | "pod"`): `docker` runs warm containers through
 *   dockerode (gVisor when the engine has runsc, `runtime` forces one) with image `image` or
 *   $SCA_SANDBOX_IMAGE; `bwrap` runs warm bubblewrap sandboxes on this host (root, cgroup v1); `pod`
 *   runs the supervisor as a child process, each program under its own uid in its own user+network
 *   namespace, for a pod that is itself the boundary (the k8s verdicts pod under gVisor). Auto picks
 *   docker when an engine answers and an image is named, else bwrap, else throws: nothing ever runs
 *   without isolation, and auto never picks pod, which is only as strong as the pod around it.
 * - `programFromResponse(response)` assembles a Response record's program as the reference does.
 */
export { BackendName, createSandbox, SandboxOptions, type ExecResult, type Sandbox } from "./sandbox.ts";
export { Limits, type LimitsInput } from "./limits.ts";
export { programFromResponse, programSource, fencedBlocks, stripMainTail, type Program } from "./program.ts";
export { SandboxFault } from "./protocol.ts";
