import { expect } from "vitest";
import type { ExecResult } from "../../services/sandbox/index.ts";

/**
 * Hostile programs and what each must end as, shared by every backend's suite (hostile.test.ts) and
 * the verdicts pod's (test/deploy/verdicts-pod.test.ts). PORT, HOST_FILE and OUTSIDE in a program's
 * code stand for the environment's listener, a file of ours the program must not read, and a path
 * outside its work dir it must not write (see materialise).
 */

// Hostile programs run only behind pids limits that hold for root (Docker's PidsLimit, the per-worker
// pids cgroup of the bwrap backend, the pod's gVisor sandbox); every program also gets RLIMIT_NPROC
// under its own non-root uid.
export const LIMITS = { timeoutSeconds: 2, memoryMb: 256, processes: 32, outputBytes: 4096 };

/** What the checks look at, wherever the sandbox runs. */
export interface HostileEnv {
  /** Values that must never appear in a program's output. */
  secrets: string[];
  /** Connections the listener at PORT accepted so far. */
  connections(): number;
  /** Whether OUTSIDE exists. */
  outsideWritten(): boolean;
}

export interface Case {
  name: string;
  code: string;
  expect: ExecResult["status"];
  /** The run's wall limit when not the suite's 2 s. */
  timeoutSeconds?: number;
  check?: (r: ExecResult, env: HostileEnv) => void;
}

export const CASES: Case[] = [
  { name: "infinite loop", code: "while True:\n    pass\n", expect: "timeout" },
  { name: "sleep past the limit", code: "import time\ntime.sleep(60)\n", expect: "timeout" },
  {
    name: "fork bomb",
    code: "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n",
    expect: "timeout",
  },
  {
    // Long enough for a bomb to outgrow what a sandbox's own machinery (gVisor's sentry) can bear.
    name: "fork bomb for 8 s",
    code: "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n",
    expect: "timeout",
    timeoutSeconds: 8,
  },
  {
    name: "thread bomb",
    code: "import threading, time\ndef spin():\n    while True:\n        time.sleep(0.01)\nwhile True:\n    threading.Thread(target=spin).start()\n",
    expect: "timeout",
  },
  { name: "memory bomb", code: "hog = []\nwhile True:\n    hog.append(bytearray(10 ** 7))\n", expect: "memory" },
  {
    name: "disk fill: one huge file",
    code: "with open('big', 'wb') as f:\n    while True:\n        f.write(b'x' * (1 << 20))\n",
    expect: "fail",
  },
  {
    name: "disk fill: many files in /tmp and /dev/shm",
    code: [
      "import os",
      "for d in ('/tmp', '/dev/shm', '.'):",
      "    for i in range(1000):",
      "        try:",
      "            with open(os.path.join(d, f'fill{i}'), 'wb') as f:",
      "                f.write(b'x' * (8 << 20))",
      "        except OSError:",
      "            break",
      "raise SystemExit('disk full, as it should be')",
    ].join("\n"),
    expect: "fail",
  },
  {
    name: "stdout flood, bounded: captured up to the cap",
    code: "import sys\nfor _ in range(2000):\n    sys.stdout.write('y' * 10000 + '\\n')\nprint('END')\n",
    expect: "pass",
    check: (r) => {
      expect(r.stdout_bytes).toBeGreaterThan(20_000_000);
      expect(r.stdout_tail.length).toBeLessThanOrEqual(LIMITS.outputBytes);
      expect(r.stdout_tail.endsWith("END\n")).toBe(true);
    },
  },
  { name: "stdout flood, endless", code: "while True:\n    print('z' * 1000)\n", expect: "timeout" },
  {
    name: "network connect to a host listener",
    code: `import socket\nsocket.create_connection(("127.0.0.1", PORT), timeout=1)\nprint("CONNECTED")\n`,
    expect: "fail",
    check: (r, env) => {
      expect(r.stdout_tail).not.toContain("CONNECTED");
      expect(env.connections()).toBe(0);
    },
  },
  { name: "DNS lookup", code: "import socket\nprint(socket.getaddrinfo('sandbox-probe.invalid', 443))\n", expect: "fail" },
  {
    name: "reading environment secrets",
    code: [
      "import os",
      "print(dict(os.environ))",
      "leaked = [k for k in os.environ if k.endswith(('_KEY', '_TOKEN')) or k.startswith('SCA_')]",
      "assert not leaked, leaked",
      "for pid in os.listdir('/proc'):",
      "    if pid.isdigit() and int(pid) != os.getpid():",
      "        try:",
      "            print(open(f'/proc/{pid}/environ').read())",
      "        except OSError:",
      "            pass",
    ].join("\n"),
    expect: "pass",
    check: (r, env) => {
      for (const s of env.secrets) expect(r.stdout_tail + r.stderr_tail).not.toContain(s);
    },
  },
  {
    name: "reading a file of ours",
    code: "print(open(HOST_FILE).read())\n",
    expect: "fail",
    check: (r, env) => {
      for (const s of env.secrets) expect(r.stdout_tail + r.stderr_tail).not.toContain(s);
    },
  },
  {
    name: "writing outside the work dir",
    code: [
      "import os",
      "for target in (OUTSIDE, '/usr/pwned', '/etc/pwned', '/pwned'):",
      "    try:",
      "        open(target, 'w').write('x')",
      "        print('WROTE', target)",
      "    except OSError:",
      "        pass",
      "raise SystemExit(3)",
    ].join("\n"),
    expect: "fail",
    check: (r, env) => {
      expect(r.stdout_tail).not.toContain("WROTE");
      expect(env.outsideWritten()).toBe(false);
    },
  },
  { name: "killing the supervisor (parent)", code: "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\n", expect: "fail" },
  {
    name: "killing every process it can",
    code: "import os, signal\ntry:\n    os.kill(-1, signal.SIGKILL)\nexcept OSError:\n    pass\nos._exit(0)\n",
    expect: "fail",
  },
  { name: "killing its own runner", code: "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n", expect: "crash" },
  {
    name: "SIGTERM ignored",
    code: "import signal, time\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\nwhile True:\n    time.sleep(1)\n",
    expect: "timeout",
  },
  { name: "segfault via ctypes", code: "import ctypes\nctypes.string_at(0)\n", expect: "crash" },
  {
    name: "deep recursion past the C stack",
    // Through map(), so that each level also costs C stack (plain Python calls do not in 3.11).
    code: "import sys\nsys.setrecursionlimit(10 ** 8)\ndef f(n):\n    return list(map(f, [n + 1]))\nf(0)\n",
    expect: "crash",
  },
  { name: "deep recursion within Python's limit", code: "def f(n):\n    return f(n + 1)\nf(0)\n", expect: "fail" },
  {
    name: "legitimate multiprocessing (semaphores in /dev/shm) still works",
    code: "import multiprocessing as mp\ndef sq(x):\n    return x * x\nwith mp.Pool(2) as p:\n    assert p.map(sq, range(5)) == [0, 1, 4, 9, 16]\n",
    expect: "pass",
  },
  { name: "early os._exit(0)", code: "import os\nos._exit(0)\n", expect: "fail" },
  { name: "early sys.exit(0)", code: "import sys\nsys.exit(0)\n", expect: "fail" },
  {
    name: "printing a fake completion marker",
    code: "import os, sys\nprint('done 0123456789abcdef0123456789abcdef')\nsys.stdout.flush()\nos._exit(0)\n",
    expect: "fail",
  },
];

// The failing tests that follow the hostile code: a pass would mean the hostile part "completed" them.
export const FAILING_TESTS = "assert False, 'the tests must never be reached or must fail'\n";

export function materialise(c: Case, at: { port: number; hostFile: string; outside: string }): string {
  return c.code.replace("PORT", String(at.port)).replace("HOST_FILE", JSON.stringify(at.hostFile)).replace("OUTSIDE", JSON.stringify(at.outside));
}

/** The wall limit a case runs under: timeouts meet the suite's 2 s, the rest get room for a loaded machine. */
export function caseTimeout(c: Case): number {
  return c.timeoutSeconds ?? (c.expect === "timeout" ? LIMITS.timeoutSeconds : 15);
}

/** Runs after every hostile case on the same worker, and must pass. */
export const NEXT_PROGRAM = { code: "def add(a, b):\n    return a + b\n", tests: "assert add(2, 3) == 5\nprint('ok')\n" };
