import { expect } from "vitest";
import type { ExecResult } from "../../services/sandbox/index.ts";

/**
 * Hostile programs and what each must end as, shared by every backend's suite (hostile.sandbox.test.ts) and
 * the verdicts pod's (test/deploy/verdicts-pod.deploy.test.ts). PORT, HOST_FILE and OUTSIDE in a program's
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
  /** The sandbox's memory limit may trip before `expect`'s: the kernel then OOM-kills it (see expectContained). */
  orOomKilled?: boolean;
  check?: (r: ExecResult, env: HostileEnv) => void;
}

export const CASES: Case[] = [
  { name: "infinite loop", code: "while True:\n    pass\n", expect: "timeout" },
  { name: "sleep past the limit", code: "import time\ntime.sleep(60)\n", expect: "timeout" },
  {
    name: "fork bomb",
    code: "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n",
    expect: "timeout",
    orOomKilled: true,
  },
  {
    // Long enough for a bomb to outgrow what a sandbox's own machinery (gVisor's sentry) can bear.
    name: "fork bomb for 8 s",
    code: "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n",
    expect: "timeout",
    orOomKilled: true,
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
  // ctypes reads any address: the audit hook refuses it before the read, so no segfault either.
  { name: "segfault via ctypes", code: "import ctypes\nctypes.string_at(0)\n", expect: "fail", check: tampered("ctypes") },
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
  // Forging the completion marker from inside the program. Each is followed by failing tests:
  // a pass would mean the forgery worked. `tampered` checks that the refusal was reported.
  {
    name: "forgery: walking frames to the supervisor's nonce",
    code: [
      "import sys, os",
      "def one():",
      "    return 1",
      "_f = sys._getframe()",
      'while _f is not None and "nonce" not in _f.f_locals:',
      "    _f = _f.f_back",
      "if _f is not None:",
      '    os.write(3, ("done " + _f.f_locals["nonce"] + "\\n").encode())',
      "    os._exit(0)",
      "assert one() == 2",
    ].join("\n"),
    expect: "fail",
  },
  {
    name: "forgery: every hex string and callable the outer frames hold",
    code: [
      "import sys, os, re",
      "_f = sys._getframe().f_back",
      "while _f is not None:",
      "    for k, v in list(_f.f_locals.items()) + list(_f.f_globals.items()):",
      "        if isinstance(v, str) and re.fullmatch('[0-9a-f]{32}', v):",
      "            os.write(3, ('done ' + v + '\\n').encode())",
      "            os._exit(0)",
      "        if k == 'complete' and callable(v):",
      "            v()",
      "    _f = _f.f_back",
    ].join("\n"),
    expect: "fail",
    check: tampered("completion-call"),
  },
  {
    name: "forgery: the supervisor's _finish through frame globals",
    code: [
      "import sys",
      "_f = sys._getframe()",
      "while _f is not None and '_finish' not in _f.f_globals:",
      "    _f = _f.f_back",
      "g = _f.f_globals",
      "nonce = next((f.f_locals.get('nonce') for f in [sys._getframe(i) for i in range(1, 4)] if 'nonce' in f.f_locals), None)",
      "for args in ((0, nonce, None), (0, 'done'), (0, None)):",
      "    try:",
      "        g['_finish'](*args)",
      "    except TypeError:",
      "        pass",
    ].join("\n"),
    expect: "fail",
  },
  {
    name: "forgery: traceback frames to the sealed writer's code",
    code: [
      "import os",
      "try:",
      "    raise ValueError('x')",
      "except ValueError as e:",
      "    f = e.__traceback__.tb_frame",
      "while f is not None and 'complete' not in f.f_locals:",
      "    f = f.f_back",
      "marker = [c for c in f.f_locals['complete'].__code__.co_consts if isinstance(c, bytes) and c.startswith(b'done ')]",
      "os.write(3, marker[0])",
      "os._exit(0)",
    ].join("\n"),
    expect: "fail",
    check: tampered("sealed-function"),
  },
  {
    name: "forgery: the sealed writer's running frame, caught by a signal handler",
    code: [
      "import os, signal, sys, time",
      "got, fired = [], [0]",
      "def handler(sig, frame):",
      // Bounded, so that a loaded machine cannot turn it into a signal storm that starves the program.
      "    fired[0] += 1",
      "    if fired[0] >= 500:",
      "        signal.setitimer(signal.ITIMER_REAL, 0)",
      "    while frame is not None:",
      "        try:",
      "            got.extend(c for c in frame.f_code.co_consts if isinstance(c, bytes) and c.startswith(b'done ') and len(c) > 10)",
      "        except RuntimeError:",
      "            pass",
      "        frame = frame.f_back",
      "signal.signal(signal.SIGALRM, handler)",
      "f = sys._getframe().f_back",
      "complete = f.f_locals['complete']",
      // Frequent enough to land inside the writer now and then.
      "signal.setitimer(signal.ITIMER_REAL, 0.0005, 0.0005)",
      "end = time.monotonic() + 1",
      "while time.monotonic() < end and fired[0] < 500:",
      "    complete()",
      "    if got:",
      "        signal.setitimer(signal.ITIMER_REAL, 0)",
      "        os.write(3, got[0])",
      "        os._exit(0)",
      "signal.setitimer(signal.ITIMER_REAL, 0)",
    ].join("\n"),
    expect: "fail",
    check: tampered("completion-call"),
  },
  {
    name: "forgery: disarming the audit hook through a refusal's traceback",
    // The hook's own frame is in the traceback of what it refuses: whatever it holds must be immutable.
    // fd 3 is hidden meanwhile, so that the refusal that exposes the hook goes unrecorded.
    code: [
      "import gc, os, sys",
      "def noop_code(free):",
      "    names = [f'x{i}' for i in range(free)]",
      "    src = 'def outer():\\n' + ''.join(f'    {n} = None\\n' for n in names)",
      "    src += '    def inner(*a, **k):\\n        ' + (', '.join(names) or 'pass') + '\\n    return inner\\n'",
      "    ns = {}",
      "    exec(src, ns)",
      "    return ns['outer']().__code__",
      "saved = os.dup(3)",
      "os.dup2(os.open(os.devnull, os.O_WRONLY), 3)",
      "try:",
      "    gc.get_objects()",
      "except RuntimeError as e:",
      "    tb = e.__traceback__",
      "while tb is not None:",
      "    for v in list(tb.tb_frame.f_locals.values()):",
      "        if isinstance(v, (dict, list, set)):",
      "            v.clear()",
      "        elif callable(v) and hasattr(v, '__code__') and getattr(v, '__globals__', None) is not globals():",
      "            try:",
      "                v.__code__ = noop_code(len(v.__code__.co_freevars))",
      "            except Exception:",
      "                pass",
      "    tb = tb.tb_next",
      "os.dup2(saved, 3)",
      "complete = sys._getframe().f_back.f_locals['complete']",
      "os.write(3, next(c for c in complete.__code__.co_consts if isinstance(c, bytes) and c.startswith(b'done ')))",
      "os._exit(0)",
    ].join("\n"),
    expect: "fail",
    check: tampered("sealed-function"),
  },
  {
    name: "forgery: gc scan for the nonce and the supervisor's objects",
    code: [
      "import gc, os, re",
      "for o in gc.get_objects():",
      "    if isinstance(o, dict):",
      "        for v in o.values():",
      "            if isinstance(v, str) and re.fullmatch('[0-9a-f]{32}', v):",
      "                os.write(3, ('done ' + v + '\\n').encode())",
      "                os._exit(0)",
      "    if callable(o) and getattr(o, '__name__', '') == 'complete':",
      "        for c in gc.get_referents(o):",
      "            pass",
    ].join("\n"),
    expect: "fail",
    check: tampered("gc"),
  },
  {
    name: "forgery: scanning /proc/self/mem for the marker (directly and through a symlink)",
    code: MEMORY_SCAN("open(target, 'rb', buffering=0)", "f.seek(a)\n            data = f.read(b - a)"),
    expect: "fail",
    check: (r) => {
      tampered("proc-mem")(r);
      // The symlink is not refused by name: the kernel refuses it (the program is not dumpable).
      expect(r.stdout_tail).toMatch(/cannot open m: .*(PermissionError|Permission denied)/);
      expect(r.stdout_tail).not.toContain("READ ");
    },
  },
  {
    // The pod backend's supervisor loads libc through ctypes to give each program its namespaces.
    name: "forgery: the supervisor's libc handle, to become dumpable and read its own memory",
    code: [
      "import sys",
      "libc = sys._getframe().f_back.f_globals.get('LIBC')",
      "if libc is not None:",
      "    print('PRCTL', libc.prctl(4, 1, 0, 0, 0))",
      MEMORY_SCAN("open(target, 'rb', buffering=0)", "f.seek(a)\n            data = f.read(b - a)"),
    ].join("\n"),
    expect: "fail",
    check: (r) => {
      expect(r.stdout_tail).not.toContain("PRCTL");
      expect(r.stdout_tail).toMatch(/cannot open m: .*(PermissionError|Permission denied)/);
      expect(r.stdout_tail).not.toContain("READ ");
    },
  },
  {
    name: "forgery: scanning memory with ctypes",
    code: MEMORY_SCAN("__import__('ctypes')", "data = f.string_at(a, b - a)"),
    expect: "fail",
    check: tampered("ctypes"),
  },
  {
    // CPython 3.11 audits no call through a ctypes function pointer and no read through a ctypes
    // pointer: wherever ctypes is loaded in the program's process (the supervisor needs it for prctl and,
    // on the pod backend, for unshare), its classes alone read any address without an audited call.
    name: "forgery: ctypes' classes already loaded, reading memory without an audited call",
    code: [
      "import os, re",
      "def every_subclass(t, seen):",
      "    for s in type.__subclasses__(t):",
      "        if s not in seen:",
      "            seen[s] = None",
      "            every_subclass(s, seen)",
      "    return seen",
      "loaded = {t.__name__: t for t in every_subclass(object, {}) if t.__module__ == '_ctypes'}",
      "print('reachable _ctypes types:', sorted(loaded))",
      "found = set()",
      "if {'_SimpleCData', 'Array', '_Pointer', 'Union'} <= loaded.keys():",
      "    char = type('char', (loaded['_SimpleCData'],), {'_type_': 'c'})",
      "    address = type('address', (loaded['_SimpleCData'],), {'_type_': 'P'})",
      "    for line in open('/proc/self/maps').read().splitlines():",
      "        span, perms = line.split()[:2]",
      "        a, b = (int(x, 16) for x in span.split('-'))",
      "        if not perms.startswith('rw') or line.endswith(('[vvar]', '[vsyscall]')) or b - a > (64 << 20):",
      "            continue",
      "        chunk = type('chunk', (loaded['Array'],), {'_type_': char, '_length_': b - a})",
      "        pointer = type('pointer', (loaded['_Pointer'],), {'_type_': chunk})",
      "        view = type('view', (loaded['Union'],), {'_fields_': [('at', address), ('to', pointer)]})()",
      "        view.at = a",
      "        found.update(re.findall(rb'done [0-9a-f]{32}\\n', view.to.contents.raw))",
      "for m in found:",
      "    os.write(3, m)",
      "if found:",
      "    os._exit(0)",
    ].join("\n"),
    expect: "fail",
    // Against a supervisor that had loaded ctypes this read the marker and passed (bwrap and pod).
    check: (r) => expect(r.stdout_tail).toContain("reachable _ctypes types: []"),
  },
  {
    name: "forgery: importing ctypes, whatever the supervisor loaded",
    code: "import sys\nprint('loaded:', sorted(m for m in sys.modules if 'ctypes' in m))\nimport _ctypes\n",
    expect: "fail",
    check: (r) => {
      tampered("ctypes")(r);
      expect(r.stdout_tail).toContain("loaded: []");
    },
  },
  {
    name: "forgery: loading _ctypes' own file under another name",
    code: [
      "import glob, importlib.machinery, importlib.util",
      "path = glob.glob('/usr/lib/python3*/lib-dynload/_ctypes.*.so')[0]",
      "spec = importlib.util.spec_from_file_location('elsewhere._ctypes', path, loader=importlib.machinery.ExtensionFileLoader('elsewhere._ctypes', path))",
      "print('loaded', hasattr(importlib.util.module_from_spec(spec), 'CFuncPtr'))",
    ].join("\n"),
    expect: "fail",
    check: (r) => {
      tampered("ctypes")(r);
      expect(r.stdout_tail).not.toContain("loaded");
    },
  },
  {
    name: "forgery: loading native code of its own",
    // Any native code could read the marker: the hook refuses the load before dlopen sees the file.
    code: [
      "import importlib.machinery, sys",
      "sys.path.insert(0, '.')",
      "open('native' + importlib.machinery.EXTENSION_SUFFIXES[0], 'wb').write(b'\\x7fELF not really')",
      "import native",
    ].join("\n"),
    expect: "fail",
    check: tampered("native-import"),
  },
  {
    name: "forgery: a trace function jumping over the tests",
    code: [
      "import sys",
      "def tracer(frame, event, arg):",
      "    if event == 'line' and frame.f_code.co_filename.endswith('prog.py') and frame.f_lineno > 9:",
      "        frame.f_lineno = 9",
      "    return tracer",
      "sys.settrace(tracer)",
      "sys._getframe().f_trace = tracer",
      "def end():",
      "    pass",
    ].join("\n"),
    expect: "fail",
    check: tampered("trace"),
  },
  {
    name: "printing a fake completion marker",
    code: "import os, sys\nprint('done 0123456789abcdef0123456789abcdef')\nsys.stdout.flush()\nos._exit(0)\n",
    expect: "fail",
  },
];

/**
 * A program that reads every readable mapping of its own memory through `opener`/`reader` (file or
 * ctypes), looking for the completion marker, and writes what it finds as its own completion.
 */
function MEMORY_SCAN(opener: string, reader: string): string {
  return [
    "import os, re",
    "os.symlink('/proc/self/mem', 'm')",
    "found = set()",
    "for target in ('/proc/self/mem', 'm'):",
    "    try:",
    `        f = ${opener}`,
    "    except Exception as e:",
    "        print('cannot open', target + ':', repr(e))",
    "        continue",
    "    for line in open('/proc/self/maps').read().splitlines():",
    "        span, perms = line.split()[:2]",
    "        a, b = (int(x, 16) for x in span.split('-'))",
    "        if 'r' not in perms or b - a > (64 << 20):",
    "            continue",
    "        try:",
    `            ${reader}`,
    "        except OSError:",
    "            continue",
    "        print('READ', hex(a))",
    "        found.update(re.findall(rb'done [0-9a-f]{32}\\n', data))",
    "for m in found:",
    "    os.write(3, m)",
    "if found:",
    "    os._exit(0)",
  ].join("\n");
}

function tampered(kind: string): (r: ExecResult) => void {
  return (r) => expect(r.tampering, r.stderr_tail.slice(-500)).toContain(kind);
}

// The failing tests that follow the hostile code: a pass would mean the hostile part "completed" them.
export const FAILING_TESTS = "assert False, 'the tests must never be reached or must fail'\n";

export function materialise(c: Case, at: { port: number; hostFile: string; outside: string }): string {
  return c.code.replace("PORT", String(at.port)).replace("HOST_FILE", JSON.stringify(at.hostFile)).replace("OUTSIDE", JSON.stringify(at.outside));
}

/** The wall limit a case runs under: timeouts meet the suite's 2 s, the rest get room for a loaded machine. */
export function caseTimeout(c: Case): number {
  return c.timeoutSeconds ?? (c.expect === "timeout" ? LIMITS.timeoutSeconds : 15);
}

/**
 * What every backend must show for a case `r`, followed by `next` (NEXT_PROGRAM) on the same pool: the
 * case's verdict, a timeout near its deadline, and the next program passing on the same worker.
 *
 * The one outcome allowed besides `expect`, for fork bombs only: `memory` by the kernel's OOM kill.
 * A bomb at its process cap keeps failing fork(), and the kernel frees each failed fork's task_struct,
 * stack and pid only after an RCU grace period, charging them meanwhile to the sandbox's memory cgroup
 * (docker:runc: the container's 640 MiB). How much is pending depends on how fast the host completes
 * grace periods: ~1,300 tasks (~25 MiB) on a quiet host, enough to fill the container when a loaded host
 * stalls them. Which limit trips first is then the host's doing, not the program's; both are containment.
 * The OOM kill is the kernel's SIGKILL (not a MemoryError of the program's own), and it retires the
 * worker (an anomaly), so the next program runs on a fresh one.
 */
export function expectContained(c: Case, r: ExecResult, next: ExecResult): void {
  const allowed = c.orOomKilled ? [c.expect, "memory"] : [c.expect];
  expect(allowed, `${c.name}: ${r.status}: ${r.error ?? r.stderr_tail.slice(-500)}`).toContain(r.status);
  const oomKilled = r.status === "memory" && c.expect !== "memory";
  if (oomKilled) expect(r.signal, `${c.name}: memory without the kernel's OOM kill`).toBe("SIGKILL");
  // Ends near its deadline; under gVisor a bomb of spinning processes delays the supervisor by seconds.
  if (r.status === "timeout") expect(r.duration_ms).toBeLessThan(caseTimeout(c) * 1000 + 5000);
  expect(next.status, next.error ?? next.stderr_tail).toBe("pass");
  expect(next.stdout_tail).toBe("ok\n");
  if (oomKilled) expect(next.worker).not.toBe(r.worker);
  else expect(next.worker).toBe(r.worker);
}

/** Runs after every hostile case on the same worker, and must pass. */
export const NEXT_PROGRAM = { code: "def add(a, b):\n    return a + b\n", tests: "assert add(2, 3) == 5\nprint('ok')\n" };
