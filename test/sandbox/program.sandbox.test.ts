import { describe, expect, it } from "vitest";
import { classify } from "../../services/sandbox/classify.ts";
import { fencedBlocks, programFromResponse, programSource, stripMainTail } from "../../services/sandbox/program.ts";
import type { RawResult } from "../../services/sandbox/protocol.ts";

describe("program assembly", () => {
  const raw = [
    "Here is the solution.",
    "```python",
    "def add(a, b):",
    "    return a + b",
    "```",
    "</response>",
    "",
    "<tests>",
    "```python",
    "assert add(1, 2) == 3",
    "```",
  ].join("\n");

  it("joins every fenced block of the raw completion with blank lines", () => {
    expect(fencedBlocks(raw)).toEqual(["def add(a, b):\n    return a + b\n", "assert add(1, 2) == 3\n"]);
    const p = programFromResponse({ raw, code: "ignored", tests: "ignored" });
    expect(programSource(p)).toBe("def add(a, b):\n    return a + b\n\n\nassert add(1, 2) == 3\n");
  });

  it("strips the __main__ tail of a block that reads input, and only of such a block", () => {
    const reads = "def main():\n    n = int(input())\n    print(n)\n\nif __name__ == '__main__':\n    main()\n";
    expect(stripMainTail(reads)).toBe("def main():\n    n = int(input())\n    print(n)\n");
    const plain = 'def f():\n    return 1\n\nif __name__ == "__main__":\n    print(f())\n';
    expect(stripMainTail(plain)).toBe(plain);
  });

  it("falls back to the record's code and tests when the raw completion has no fenced block", () => {
    expect(programFromResponse({ raw: "no fences", code: "x = 1\n", tests: "assert x == 1\n" })).toEqual({ code: "x = 1\n", tests: "assert x == 1\n" });
  });
});

describe("verdict classification", () => {
  const base: RawResult = {
    id: 1,
    exit_code: 0,
    signal: null,
    timed_out: false,
    completed: true,
    exception: null,
    oom_killed: false,
    too_many_processes: false,
    tampering: [],
    duration_ms: 5,
    stdout: "",
    stderr: "",
    stdout_bytes: 0,
    stderr_bytes: 0,
    clean: true,
  };
  it.each<[string, Partial<RawResult>, string]>([
    ["completed and exit 0", {}, "pass"],
    ["exit 0 without the completion marker", { completed: false }, "fail"],
    ["marker but a non-zero exit (an atexit handler failed)", { exit_code: 1 }, "fail"],
    ["an assertion", { completed: false, exit_code: 1, exception: "AssertionError" }, "fail"],
    ["wall time out", { completed: false, exit_code: null, timed_out: true }, "timeout"],
    ["CPU rlimit", { completed: false, exit_code: null, signal: "SIGXCPU" }, "timeout"],
    ["MemoryError", { completed: false, exit_code: 1, exception: "MemoryError" }, "memory"],
    ["OOM kill", { completed: false, exit_code: null, signal: "SIGKILL", oom_killed: true }, "memory"],
    ["abort on allocation failure", { completed: false, exit_code: null, signal: "SIGABRT", stderr: "Fatal Python error: Cannot allocate memory" }, "memory"],
    ["segfault", { completed: false, exit_code: null, signal: "SIGSEGV" }, "crash"],
    ["killed past its process cap (gVisor)", { completed: false, exit_code: null, signal: "SIGKILL", too_many_processes: true }, "crash"],
    ["setup failure of our own child", { completed: false, exit_code: 121 }, "sandbox_error"],
    ["a program exiting 121 itself after output", { completed: false, exit_code: 121, stdout_bytes: 3 }, "fail"],
    ["completed, but the audit hook refused an introspection call", { tampering: ["gc"] }, "fail"],
    ["a forged marker, then a silent exit 121", { completed: false, exit_code: 121, tampering: ["forged-marker"] }, "fail"],
  ])("%s → %s", (_, patch, status) => {
    expect(classify({ ...base, ...patch })).toBe(status);
  });
});
