import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSandbox, type ExecResult, type Sandbox } from "../../services/sandbox/index.ts";
import { BACKENDS } from "./fixtures.ts";

// A program in the sandbox behaves as under `python3 prog.py`, except that only a run to the end passes.
const unittestSuite = (ok: boolean) =>
  `import unittest\nclass T(unittest.TestCase):\n    def test_a(self):\n        self.assertEqual(1, ${ok ? 1 : 2})\n\nif __name__ == '__main__':\n    unittest.main()\n`;

const CASES: Array<{ name: string; code: string; tests: string; expect: ExecResult["status"]; stdout?: string; stderr?: string }> = [
  {
    name: "runs as __main__ with its file name",
    code: "import sys\nprint(__name__, __file__.endswith('prog.py'), sys.argv[0] == __file__)\n",
    tests: "",
    expect: "pass",
    stdout: "__main__ True True\n",
  },
  { name: "code then tests, in one module", code: "def f(x):\n    return x * 2\n", tests: "assert f(2) == 4\nprint('ok')\n", expect: "pass", stdout: "ok\n" },
  { name: "unittest.main() with passing tests", code: unittestSuite(true), tests: "", expect: "pass" },
  { name: "unittest.main() with a failing test", code: unittestSuite(false), tests: "", expect: "fail" },
  { name: "stdin is empty: input() fails at once", code: "input()\n", tests: "", expect: "fail" },
  { name: "sys.exit(1)", code: "import sys\nsys.exit(1)\n", tests: "", expect: "fail" },
  {
    name: "an exception in the tests, its traceback as under python3 prog.py (no frame of ours)",
    code: "def f():\n    return {}\n",
    tests: "f()['missing']\n",
    expect: "fail",
    stderr: "Traceback (most recent call last):\n  File \"PROG\", line 4, in <module>\n    f()['missing']\n    ~~~^^^^^^^^^^^\nKeyError: 'missing'\n",
  },
];

describe.each(BACKENDS)("program semantics on $name", ({ options }) => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await createSandbox({ ...options, concurrency: 1, limits: { timeoutSeconds: 15 } });
  });
  afterAll(() => sandbox?.close());

  it.each(CASES)("$name → $expect", async (c) => {
    const r = await sandbox.run({ code: c.code, tests: c.tests });
    expect(r.status, r.error ?? r.stderr_tail).toBe(c.expect);
    if (c.stdout !== undefined) expect(r.stdout_tail).toBe(c.stdout);
    // The work dir differs by backend and run.
    if (c.stderr !== undefined) expect(r.stderr_tail.replace(/"[^"]*\/prog\.py"/g, '"PROG"')).toBe(c.stderr);
  });
});
