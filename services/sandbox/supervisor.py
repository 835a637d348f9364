# The in-sandbox supervisor: a warm Python process (inside a container or a bubblewrap sandbox) that runs
# many untrusted programs, one at a time, each as its own forked process. It is passed to the interpreter
# with `python3 -I -c`, so no image ever carries a stale copy.
#
# Protocol: one JSON request per line on stdin, one JSON reply per line on stdout; a first line
# {"ready": ...} announces the supervisor. Nothing else is ever written to stdout.
#
# Why fork and not exec: a fresh interpreter costs ~10-20 ms; a fork of this already-initialised one
# costs ~1 ms, so a warm sandbox beats a plain `python3 prog.py` loop.
#
# Isolation of each program, on top of the sandbox's own walls:
# - it runs under a uid of its own (not root, not the supervisor's), so it can neither signal the
#   supervisor nor outlive the cleanup, which kills every process of that uid;
# - the supervisor keeps only the capabilities to switch to that uid and to clean up after it
#   (SETUID, SETGID, CHOWN, DAC_OVERRIDE, FOWNER); the program, under another uid, has none;
# - rlimits: address space (memory), CPU seconds, processes (binds: the uid is not root), file size,
#   open files, no core dumps; its oom_score_adj is maximal so the OOM killer picks it, not us;
# - its own work dir, an empty environment, stdin from /dev/null, output through pipes we cap;
# - with --own-network (the pod backend, where the sandbox shares the pod's network): a user and network
#   namespace of its own, holding no capability, so that it reaches nothing, not even the pod's loopback.
#
# Completion proof (threat model and limits: services/sandbox/README.md): the program runs in the
# forked child's own interpreter, so anything the child holds as a Python object the program can
# reach. A pass therefore rests on three things, all set up before the program's first statement:
# - the completion marker (a per-run random nonce) exists in the child only as a constant of a sealed
#   function's code object: no frame's locals, no globals, closure or default holds it;
# - that function writes the marker on fd 3 only when called straight from run_child's own frame
#   (identity of the frame object), which calls it only after the program's code returned, its atexit
#   functions ran and its threads ended; any other caller gets a refusal recorded on fd 3;
# - a PEP 578 audit hook (Python cannot remove one) refuses what would read that constant or bend the
#   control flow: the sealed function's code, its running frame's code, gc's object-graph scans, ctypes,
#   native extensions from outside /usr, /proc/*/mem, trace and profile functions, more audit hooks.
#   Each refusal is also written on fd 3, so the verdict says the program tried.
# The process is non-dumpable (it changed uid), so nothing it execs can read its memory either.
import atexit
import io
import json
import os
import resource
import select
import shutil
import signal
import sys
import time
import types

# Per supervisor: the pod backend runs several in one /tmp.
WORK_ROOT = f"/tmp/sca/{os.getpid()}"
ALL_FDS = 4096
CLONE_NEWUSER = 0x10000000
CLONE_NEWNET = 0x40000000
PR_SET_DUMPABLE = 4
LINUX_CAPABILITY_VERSION_3 = 0x20080522
OWN_NETWORK = "--own-network" in sys.argv[2:]
SUBREAPER = False
LIBC = None
CTYPES_SUBCLASSES = ()
if OWN_NETWORK:
    import ctypes

    LIBC = ctypes.CDLL(None, use_errno=True)


def reply(msg):
    out = sys.stdout.buffer
    out.write((json.dumps(msg) + "\n").encode())
    out.flush()


class Tail:
    """Keeps the last `cap` bytes of a stream and counts all of it."""

    def __init__(self, cap):
        self.cap = cap
        self.buf = bytearray()
        self.total = 0

    def add(self, data):
        self.total += len(data)
        self.buf += data
        if len(self.buf) > 2 * self.cap:
            del self.buf[: len(self.buf) - self.cap]

    def text(self):
        return bytes(self.buf[-self.cap :]).decode("utf-8", "replace")


def oom_kills():
    # cgroup v1 inside a container: the container's own memory cgroup; absent elsewhere (gVisor, bwrap).
    try:
        with open("/sys/fs/cgroup/memory/memory.oom_control") as f:
            for line in f:
                if line.startswith("oom_kill "):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return None


def drop_to(uid):
    if os.getuid() == 0:
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)


def own_network(uid):
    """Moves this (already unprivileged) process into new user and network namespaces. Needs no
    capability, and unlike CAP_SYS_ADMIN it is allowed in a pod; under gVisor the Sentry serves it."""
    if LIBC.unshare(CLONE_NEWUSER | CLONE_NEWNET) != 0:
        raise OSError(ctypes.get_errno(), "unshare(CLONE_NEWUSER | CLONE_NEWNET)")
    # setuid made the process undumpable, which makes its /proc files root's: the map could not be written.
    LIBC.prctl(PR_SET_DUMPABLE, 1, 0, 0, 0)
    with open("/proc/self/uid_map", "w") as f:
        f.write(f"{uid} {uid} 1")
    # Undumpable again: a dumpable program may open its own /proc/self/mem (through a symlink, which the
    # audit hook cannot tell by name) and read the completion marker out of its memory.
    LIBC.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
    # A new user namespace comes with every capability inside it: keep none.
    header = (ctypes.c_uint32 * 2)(LINUX_CAPABILITY_VERSION_3, 0)
    if LIBC.capset(header, (ctypes.c_uint32 * 6)()) != 0:
        raise OSError(ctypes.get_errno(), "capset")


def forget_ctypes():
    """Makes the ctypes this child loaded for own_network unreachable before the program runs: loaded,
    it reads and calls any address without an audit event. Python 3.11 reaches unshare and prctl
    through nothing else, and an extension module cannot be unloaded, so: drop our references and the
    modules' entries (imported anew, ctypes meets the audit hook), and take ctypes' classes out of
    object's and type's subclass registries, the one way left to them (object.__subclasses__()), and
    through their methods' __globals__ to every ctypes function."""
    global LIBC, ctypes
    for registry, keys in CTYPES_SUBCLASSES:
        for key in keys:
            registry.pop(key, None)
    for name in [m for m in sys.modules if m == "ctypes" or m.startswith(("ctypes.", "_ctypes"))]:
        del sys.modules[name]
    LIBC = ctypes = None


def ctypes_subclasses():
    """(registry, keys) of ctypes' classes in object's and type's subclass registries, the dicts behind
    __subclasses__() (CPython 3.11: tp_subclasses, two pointers past tp_mro). Found once, in the
    supervisor: the forked children share them, and touching every class in each child would cost
    ~1 ms of copy-on-write faults."""
    found = []
    for t in (object, type):
        mro_at = next(off for off in range(0, 400, 8) if ctypes.c_void_p.from_address(id(t) + off).value == id(t.__mro__))
        registry = ctypes.py_object.from_address(id(t) + mro_at + 16).value
        if type(registry) is not dict or any(ref() is not None and id(ref()) != key for key, ref in registry.copy().items()):
            raise SystemExit("supervisor: no subclass registry where CPython 3.11 keeps it")
        keys = [key for key, ref in registry.copy().items() if str(getattr(ref(), "__module__", "")).partition(".")[0] in ("ctypes", "_ctypes")]
        found.append((registry, keys))
    return tuple(found)


def fresh_stdio():
    sys.stdin = io.TextIOWrapper(io.BufferedReader(io.FileIO(0, "r", closefd=False)), encoding="utf-8")
    sys.stdout = io.TextIOWrapper(io.BufferedWriter(io.FileIO(1, "w", closefd=False)), encoding="utf-8")
    sys.stderr = io.TextIOWrapper(
        io.BufferedWriter(io.FileIO(2, "w", closefd=False)), encoding="utf-8", errors="backslashreplace", line_buffering=True
    )
    sys.__stdin__, sys.__stdout__, sys.__stderr__ = sys.stdin, sys.stdout, sys.stderr


def run_child(req, uid, work, path, out_w, err_w, res_w, nonce):
    """In the forked child: lock down, then run the program as __main__. Never returns."""
    try:
        os.setsid()
        for sig in (signal.SIGCHLD, signal.SIGTERM, signal.SIGHUP, signal.SIGUSR1, signal.SIGUSR2, signal.SIGALRM):
            signal.signal(sig, signal.SIG_DFL)
        try:
            with open("/proc/self/oom_score_adj", "w") as f:
                f.write("1000")
        except OSError:
            pass
        null = os.open("/dev/null", os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(out_w, 1)
        os.dup2(err_w, 2)
        os.dup2(res_w, 3)
        os.set_inheritable(3, False)
        os.closerange(4, ALL_FDS)
        mem = req["memory_bytes"]
        cpu = req["cpu_seconds"]
        resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
        resource.setrlimit(resource.RLIMIT_DATA, (mem, mem))
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
        resource.setrlimit(resource.RLIMIT_FSIZE, (req["file_bytes"], req["file_bytes"]))
        resource.setrlimit(resource.RLIMIT_NOFILE, (req["open_files"], req["open_files"]))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        drop_to(uid)
        if OWN_NETWORK:
            own_network(uid)
            forget_ctypes()
        # After the uid change, so that the count is the program's own uid's.
        resource.setrlimit(resource.RLIMIT_NPROC, (req["processes"], req["processes"]))
        os.chdir(work)
        os.umask(0o077)
        os.environ.clear()
        os.environ.update({"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": work, "TMPDIR": work, "LANG": "C.UTF-8"})
        fresh_stdio()
        complete = seal_completion(nonce, sys._getframe())
        del nonce
        guard(complete)
    except BaseException:
        os._exit(121)
    main = types.ModuleType("__main__")
    main.__file__ = path
    main.__builtins__ = __builtins__
    sys.modules["__main__"] = main
    sys.argv = [path]
    sys.path.insert(0, work)
    sys.meta_path.insert(0, ReturningUnittestMain)
    try:
        with open(path, encoding="utf-8") as f:
            code = compile(f.read(), path, "exec")
        exec(code, main.__dict__)
    except SystemExit as e:
        status = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
        if not isinstance(e.code, int) and e.code is not None:
            print(e.code, file=sys.stderr)
        # Exiting early is never a completion, whatever the status.
        _finish(status, "exit")
    except BaseException as e:
        # Skip our own frame: the traceback should read like `python3 prog.py`'s, printed by the same
        # (native) code, which reads the exception's own traceback.
        e.__traceback__ = e.__traceback__.tb_next
        sys.__excepthook__(type(e), e, e.__traceback__)
        _finish(1, type(e).__name__)
    else:
        _settle()
        # Only this call, from this frame, writes the marker; it exits 0 after.
        complete()
    os._exit(1)


class ReturningUnittestMain:
    """unittest.main() as the program sees it: ends by sys.exit even when every test passed, which
    would never count as a completion. Once the program imports unittest (this finder is first on
    sys.meta_path), unittest.main returns when all passed and exits 1 otherwise, so a test suite run by
    unittest.main() is judged like `python3 prog.py`'s exit status judges it. Imported by the program,
    not by us: every module the supervisor holds makes each fork dearer under gVisor."""

    @staticmethod
    def find_spec(name, path=None, target=None):
        if name != "unittest":
            return None
        import importlib.machinery

        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is None:
            return None
        exec_module = spec.loader.exec_module

        def exec_and_patch(module):
            exec_module(module)

            class ReturningTestProgram(module.TestProgram):
                def __init__(self, *args, **kwargs):
                    kwargs["exit"] = False
                    super().__init__(*args, **kwargs)
                    if not self.result.wasSuccessful():
                        raise SystemExit(1)

            module.main = ReturningTestProgram

        spec.loader.exec_module = exec_and_patch
        return spec


def _settle():
    """What the interpreter does at exit: wait for threads, run atexit functions, flush."""
    try:
        # Threads exist only if the program imported threading (we do not).
        threading = sys.modules.get("threading")
        if threading is not None:
            threading._shutdown()
        atexit._run_exitfuncs()
    except BaseException:
        pass
    for s in (sys.stdout, sys.stderr):
        try:
            s.flush()
        except BaseException:
            pass


def _finish(status, exc):
    _settle()
    try:
        os.write(3, ("exception " + exc + "\n").encode())
    except OSError:
        pass
    os._exit(status)


# Placeholders of the sealed functions' constants: compiled as string literals, then swapped for the
# real objects, so that the functions look nothing up in globals a program could rebind.
_CALLER, _FRAME, _WRITE, _EXIT, _MARK, _ORIGINAL, _REFUSED = (f"\0sca-{n}" for n in range(7))
_SEALED_SOURCE = f"""
def complete():
    if {_CALLER!r}(1) is {_FRAME!r}:
        {_WRITE!r}(3, {_MARK!r})
        {_EXIT!r}(0)
    {_WRITE!r}(3, {_REFUSED!r})

def only_none(function):
    if function is None:
        return {_ORIGINAL!r}(None)
    {_WRITE!r}(3, {_REFUSED!r})
    raise RuntimeError("sandbox: tracing and profiling are not available to programs")
"""


def _compile_sealed():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SyntaxWarning)  # the placeholders are "called" string literals
        module = compile(_SEALED_SOURCE, "<sandbox>", "exec")
    return {c.co_name: c for c in module.co_consts if isinstance(c, types.CodeType)}


_SEALED_CODE = _compile_sealed()


def _sealed(name, constants, globals_):
    code = _SEALED_CODE[name]
    code = code.replace(co_consts=tuple(constants.get(c, c) if type(c) is str else c for c in code.co_consts))
    return types.FunctionType(code, globals_, name)


def seal_completion(nonce, frame):
    """The one function that can write the marker: only when `frame` calls it, then it exits 0."""
    return _sealed(
        "complete",
        {_CALLER: sys._getframe, _FRAME: frame, _WRITE: os.write, _EXIT: os._exit, _MARK: ("done " + nonce + "\n").encode(), _REFUSED: b"refused completion-call\n"},
        {},
    )


# What the audit hook refuses outright, by event name prefix, with the kind of attempt the verdict
# reports. A tuple: the hook's frame is visible to the program (in a refusal's traceback), so nothing
# the hook reads may be mutable.
_REFUSED_PREFIXES = (
    ("gc.get_", "gc"),  # get_objects, get_referrers, get_referents
    ("ctypes.", "ctypes"),
    ("sys.addaudithook", "audit-hook"),
    ("sys.monitoring", "trace"),
    ("sys._setprofileallthreads", "trace"),
    ("sys._settraceallthreads", "trace"),
)


def guard(complete):
    """Installs the audit hook that keeps `complete`'s marker out of the program's reach."""
    sealed_globals = complete.__globals__
    getframe, write, function_type, frame_type = sys._getframe, os.write, types.FunctionType, types.FrameType
    wrapper_globals = {}
    tracer = _sealed("only_none", {_ORIGINAL: sys.settrace, _WRITE: os.write, _REFUSED: b"refused trace\n"}, wrapper_globals)
    profiler = _sealed("only_none", {_ORIGINAL: sys.setprofile, _WRITE: os.write, _REFUSED: b"refused trace\n"}, wrapper_globals)
    wrapper_codes = (tracer.__code__, profiler.__code__)
    refused_prefixes = _REFUSED_PREFIXES

    # Only identity tests and methods of exact builtin types below: nothing here may call into
    # program code, which would then run with this frame on its stack, nor into a Python function the
    # program could reach and rewrite (hence no helper for the refusal itself).
    def hook(event, args):
        kind = None
        if event == "object.__getattr__" or event == "object.__setattr__" or event == "object.__delattr__":
            obj = args[0]
            t = type(obj)
            if t is function_type and (obj.__globals__ is sealed_globals or obj.__globals__ is wrapper_globals):
                if event != "object.__getattr__" or obj.__globals__ is sealed_globals:
                    kind = "sealed-function"
            elif t is frame_type and obj.f_globals is sealed_globals and event == "object.__getattr__":
                kind = "sealed-frame"
        elif event == "open":
            p = args[0]
            if (type(p) is str and (p == "mem" or p.endswith("/mem"))) or (type(p) is bytes and (p == b"mem" or p.endswith(b"/mem"))):
                kind = "proc-mem"
        elif event == "import":
            name = args[0]
            origin = args[1] if len(args) > 1 else None
            if (type(name) is str and (name == "ctypes" or name.startswith("ctypes.") or name.rpartition(".")[2] == "_ctypes")) or (
                type(origin) is str and "/_ctypes." in origin
            ):
                # Loaded, ctypes reads and calls any address without an audit event (CPython 3.11
                # audits neither a call nor a function pointer made from an address). By file too: an
                # extension loads under any name whose last part names its init function.
                kind = "ctypes"
            elif origin is not None and (
                type(origin) is not str or not origin.startswith("/usr/") or "/.." in origin or "/_test" in origin or "/_xxtest" in origin or "/_ctypes_test" in origin
            ):
                # CPython's own test modules (Debian's libpython3-testsuite) poke at raw memory too.
                kind = "native-import"
        elif event == "sys.settrace" or event == "sys.setprofile":
            caller = getframe(1).f_code
            if caller is not wrapper_codes[0] and caller is not wrapper_codes[1]:
                kind = "trace"
        else:
            for prefix, k in refused_prefixes:
                if event.startswith(prefix):
                    kind = k
        if kind is not None:
            write(3, b"refused " + kind.encode() + b"\n")
            raise RuntimeError("sandbox: refused " + kind)

    sys.settrace, sys.setprofile = tracer, profiler
    sys.addaudithook(hook)


def clean(uid, work):
    """Kills every process of the program's uid and deletes what it wrote. True when nothing is left."""
    ok = True
    reap()
    # Scanning /proc costs milliseconds (more under gVisor) and most programs leave nothing: whatever a
    # program left descends from us (its orphans come to us, the subreaper), so with no child of ours
    # left, no process of its uid is left either.
    left = not SUBREAPER or has_children()
    if left and processes_of(uid):
        ok = kill_all_of(uid)
        # Killed processes take a moment to die, and their zombies are ours to reap (we are their
        # subreaper): the verdict waits until none is left.
        # Bounded in time, not in rounds: under gVisor one /proc scan beside a fork bomb's remains can
        # take a second. Past 5 s the run is not clean and the worker is replaced.
        give_up = time.monotonic() + 5
        while time.monotonic() < give_up:
            reap()
            if not processes_of(uid):
                break
            # Under gVisor a bomb's children forked during a kill(-1) escape it: kill again.
            ok = kill_all_of(uid) and ok
            time.sleep(0.005)
    shutil.rmtree(work, ignore_errors=True)
    for d in ("/tmp", "/dev/shm"):
        try:
            entries = os.scandir(d)
        except OSError:
            continue
        with entries:
            for e in entries:
                try:
                    if e.stat(follow_symlinks=False).st_uid != uid:
                        continue
                    if e.is_dir(follow_symlinks=False):
                        shutil.rmtree(e.path, ignore_errors=True)
                    else:
                        os.unlink(e.path)
                except OSError:
                    ok = False
    return ok and not os.path.exists(work) and not (left and processes_of(uid))


def kill_all_of(uid):
    """Only hostile or sloppy programs leave processes: a helper under their uid kills them all with
    kill(-1), which reaches even those that escaped into new sessions or process groups."""
    pid = os.fork()
    if pid == 0:
        try:
            drop_to(uid)
            # Stopped first, as stopped processes fork no more: under gVisor, children forked while a
            # kill(-1) runs escape it, and a bomb at its process limit refills every slot at once.
            for sig, rounds in ((signal.SIGSTOP, 20), (signal.SIGKILL, 1000)):
                for _ in range(rounds):
                    try:
                        os.kill(-1, sig)
                    except ProcessLookupError:
                        break
            os._exit(0)
        except BaseException:
            os._exit(1)
    _, st = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(st) == 0


def processes_of(uid):
    """Processes of `uid`, zombies included: a zombie still holds a pid and counts against limits."""
    n = 0
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            with open(f"/proc/{p}/status") as f:
                st = f.read()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in st.splitlines() if ":" in line)
        if fields.get("Uid", "").split()[:1] == [str(uid)]:
            n += 1
    return n


def become_subreaper():
    """Orphans of the programs then come to us (as they do anyway when we are a container's PID 1),
    so that cleanup can reap them all before it answers. The flag needs prctl, which only ctypes
    reaches from Python, and a process that loaded ctypes must not fork programs: ctypes' classes would
    stay reachable there (object.__subclasses__()) and read or call any address without an audit event.
    So this sets the flag, which execve keeps, and replaces this process with a fresh supervisor, told
    by --subreaper=1 (or =0 when prctl failed) that it is done. Never returns."""
    import ctypes

    PR_SET_CHILD_SUBREAPER = 36
    try:
        ok = ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        ok = False
    with open("/proc/self/cmdline", "rb") as f:
        argv = f.read().split(b"\0")[:-1]
    os.execv(sys.executable, argv + [b"--subreaper=1" if ok else b"--subreaper=0"])


def has_children():
    try:
        os.waitpid(-1, os.WNOHANG)
        return True
    except ChildProcessError:
        return False


def reap():
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def execute(req, uid, seq):
    work = os.path.join(WORK_ROOT, str(seq))
    os.mkdir(work, 0o700)
    path = os.path.join(work, "prog.py")
    with open(path, "w", encoding="utf-8") as f:
        f.write(req["code"])
    if os.getuid() == 0:
        # The file before its dir: once the dir is the program's, a capless root can no longer enter it.
        os.chown(path, uid, uid)
        os.chown(work, uid, uid)
    # In a list the child empties: the child's copy of this frame must not hold the nonce.
    sealed = [os.urandom(16).hex()]
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    res_r, res_w = os.pipe()
    ooms = oom_kills()
    sys.stdout.flush()
    started = time.monotonic()
    pid = os.fork()
    if pid == 0:
        for fd in (out_r, err_r, res_r):
            os.close(fd)
        run_child(req, uid, work, path, out_w, err_w, res_w, sealed.pop())
    nonce = sealed.pop()
    for fd in (out_w, err_w, res_w):
        os.close(fd)
    try:
        # Readable when the child exits: wakes the loop at once instead of at the next poll.
        exit_fd = os.pidfd_open(pid)
    except (AttributeError, OSError):
        exit_fd = None
    cap = req["output_bytes"]
    streams = {out_r: Tail(cap), err_r: Tail(cap), res_r: Tail(4096)}
    deadline = started + req["timeout_seconds"]
    # A safety net under RLIMIT_NPROC, which a user-space kernel (gVisor) may enforce loosely: watch the
    # program's process count and stop it well past the cap.
    next_count = started + 0.05
    too_many = False
    status = None
    timed_out = False
    exited_at = None
    closed = set()
    while True:
        now = time.monotonic()
        if status is None:
            try:
                got, st = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                got, st = pid, 0
            if got == pid:
                status = st
                exited_at = now
        open_fds = [fd for fd in streams if fd not in closed]
        if status is not None and (not open_fds or now - exited_at > 0.05):
            break
        if now >= deadline:
            timed_out = status is None
            break
        if status is None and now >= next_count:
            # Slack: gVisor's own count lets one process past the cap, and zombies linger a moment.
            if processes_of(uid) > req["processes"] + 8:
                too_many = True
                break
            next_count = now + 0.02
        waits = open_fds + ([exit_fd] if exit_fd is not None and status is None else [])
        poll = 0.05 if exit_fd is not None or status is not None else 0.002
        if status is None:
            poll = min(poll, max(0.0, next_count - now))
        ready, _, _ = select.select(waits, [], [], min(poll, max(0.0, deadline - now)))
        for fd in ready:
            if fd == exit_fd:
                continue
            data = os.read(fd, 65536)
            if data:
                streams[fd].add(data)
            else:
                closed.add(fd)
    duration = time.monotonic() - started
    if exit_fd is not None:
        os.close(exit_fd)
    clean_ok = clean(uid, work)
    if status is None:
        try:
            _, status = os.waitpid(pid, 0)
        except ChildProcessError:
            status = None
    for fd in streams:
        try:
            while True:
                r, _, _ = select.select([fd], [], [], 0)
                data = os.read(fd, 65536) if r else b""
                if not data:
                    break
                streams[fd].add(data)
        except OSError:
            pass
        os.close(fd)
    if too_many:
        streams[err_r].add(b"\nsandbox: killed: more than %d processes\n" % req["processes"])
    completed, exception, tampering = read_completion(streams[res_r], nonce)
    exit_code = sig = None
    if status is not None:
        if os.WIFSIGNALED(status):
            sig = signal.Signals(os.WTERMSIG(status)).name
        else:
            exit_code = os.waitstatus_to_exitcode(status)
    after = oom_kills()
    return {
        "exit_code": exit_code,
        "signal": sig,
        "timed_out": timed_out,
        "completed": completed,
        "exception": exception,
        "tampering": tampering,
        "oom_killed": ooms is not None and after is not None and after > ooms,
        "too_many_processes": too_many,
        "duration_ms": round(duration * 1000, 3),
        "stdout": streams[out_r].text(),
        "stderr": streams[err_r].text(),
        "stdout_bytes": streams[out_r].total,
        "stderr_bytes": streams[err_r].total,
        "clean": clean_ok,
    }


def read_completion(tail, nonce):
    """(completed, exception, tampering) from what fd 3 carried. Completed: exactly the marker, once.
    Tampering: what the audit hook refused, and any line on fd 3 we did not write."""
    exception = None
    tampering = []
    done = 0
    lines = tail.text().split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if tail.total > len(tail.buf) or len(lines) > 64:
        tampering.append("result-flood")
    for line in lines[-64:]:
        word, _, rest = line.partition(" ")
        if word == "done" and rest == nonce:
            done += 1
        elif word == "exception" and rest and exception is None:
            exception = rest
        elif word == "refused" and rest in REFUSAL_KINDS:
            tampering.append(rest)
        else:
            tampering.append("forged-marker")
    if done > 1:
        tampering.append("forged-marker")
    return done == 1 and exception is None, exception, sorted(set(tampering))


REFUSAL_KINDS = frozenset(["completion-call", "sealed-function", "sealed-frame", "proc-mem", "native-import", "trace", "gc", "audit-hook", "ctypes"])


def probe_own_network(uid):
    """Refuses to start when programs could not get a network of their own (rather than run them on ours)."""
    pid = os.fork()
    if pid == 0:
        try:
            drop_to(uid)
            own_network(uid)
            os._exit(0)
        except BaseException as e:
            os.write(2, f"{e}\n".encode())
            os._exit(1)
    _, st = os.waitpid(pid, 0)
    if os.waitstatus_to_exitcode(st) != 0:
        raise SystemExit("supervisor: cannot give programs a user and network namespace of their own")


def main():
    global SUBREAPER, CTYPES_SUBCLASSES
    SUBREAPER = os.getpid() == 1 or "--subreaper=1" in sys.argv[2:]
    if not SUBREAPER and "--subreaper=0" not in sys.argv[2:]:
        become_subreaper()
    uid = int(sys.argv[1]) if len(sys.argv) > 1 else os.getuid()
    if os.getuid() == 0 and uid == 0:
        raise SystemExit("supervisor: refusing to run programs as root")
    os.makedirs(WORK_ROOT, mode=0o711, exist_ok=True)
    if OWN_NETWORK:
        # Found once here: the forked children share them.
        CTYPES_SUBCLASSES = ctypes_subclasses()
        probe_own_network(uid)
    reply({"ready": True, "python": sys.version.split()[0], "uid": uid, "separate_uid": uid != os.getuid()})
    seq = 0
    for line in sys.stdin.buffer:
        seq += 1
        req = {}
        try:
            req = json.loads(line)
            res = execute(req, uid, seq)
        except Exception:
            import traceback

            res = {"error": traceback.format_exc(limit=5)}
        res["id"] = req.get("id")
        reply(res)


main()
