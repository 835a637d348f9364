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
# Completion proof: the program's code and tests run inside a wrapper that writes a per-run random
# nonce on a private pipe only after the whole program returned normally. sys.exit/os._exit/signals
# before the end never reach that write; printing a marker on stdout is worthless (it is not the
# pipe), and the pipe's fd is not inherited by anything the program starts with exec.
# Limit, inherent to tests that share the interpreter with the code they test: a program written
# against this very protocol could dig the nonce out of its own memory and forge the write. No generic
# way out of a program (those above, killing the runner, atexit tricks) counts as a pass.
import atexit
import io
import json
import os
import resource
import secrets
import select
import shutil
import signal
import sys
import threading
import time
import traceback
import types
import unittest

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
    # A new user namespace comes with every capability inside it: keep none.
    header = (ctypes.c_uint32 * 2)(LINUX_CAPABILITY_VERSION_3, 0)
    if LIBC.capset(header, (ctypes.c_uint32 * 6)()) != 0:
        raise OSError(ctypes.get_errno(), "capset")


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
        # After the uid change, so that the count is the program's own uid's.
        resource.setrlimit(resource.RLIMIT_NPROC, (req["processes"], req["processes"]))
        os.chdir(work)
        os.umask(0o077)
        os.environ.clear()
        os.environ.update({"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": work, "TMPDIR": work, "LANG": "C.UTF-8"})
        fresh_stdio()
    except BaseException:
        os._exit(121)
    main = types.ModuleType("__main__")
    main.__file__ = path
    main.__builtins__ = __builtins__
    sys.modules["__main__"] = main
    sys.argv = [path]
    sys.path.insert(0, work)
    unittest.main = ReturningTestProgram
    try:
        with open(path, encoding="utf-8") as f:
            code = compile(f.read(), path, "exec")
        exec(code, main.__dict__)
    except SystemExit as e:
        status = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
        if not isinstance(e.code, int) and e.code is not None:
            print(e.code, file=sys.stderr)
        # Exiting early is never a completion, whatever the status.
        _finish(status, None, None)
    except BaseException as e:
        # Skip our own frame: the traceback should read like `python3 prog.py`'s.
        traceback.print_exception(type(e), e, e.__traceback__.tb_next)
        _finish(1, None, type(e).__name__)
    _finish(0, nonce, None)


class ReturningTestProgram(unittest.TestProgram):
    """unittest.main() as the program sees it: ends by sys.exit even when every test passed, which
    would never count as a completion. This one returns when all passed and exits 1 otherwise, so a
    test suite run by unittest.main() is judged like `python3 prog.py`'s exit status judges it."""

    def __init__(self, *args, **kwargs):
        kwargs["exit"] = False
        super().__init__(*args, **kwargs)
        if not self.result.wasSuccessful():
            raise SystemExit(1)


def _finish(status, nonce, exc):
    try:
        threading._shutdown()
        atexit._run_exitfuncs()
    except BaseException:
        pass
    for s in (sys.stdout, sys.stderr):
        try:
            s.flush()
        except BaseException:
            pass
    try:
        os.write(3, (("done " + nonce) if nonce else ("exception " + (exc or "exit"))).encode() + b"\n")
    except OSError:
        pass
    os._exit(status)


def clean(uid, work):
    """Kills every process of the program's uid and deletes what it wrote. True when nothing is left."""
    ok = True
    reap()
    # Scanning /proc costs milliseconds (more under gVisor) and most programs leave nothing: whatever a
    # program left descends from us (its orphans come to us, the subreaper), so with no child of ours
    # left, no process of its uid is left either.
    left = not SUBREAPER or has_children()
    if left and processes_of(uid):
        # Only hostile or sloppy programs leave processes: a helper under their uid kills them all with
        # kill(-1), which reaches even those that escaped into new sessions or process groups.
        pid = os.fork()
        if pid == 0:
            try:
                drop_to(uid)
                for _ in range(1000):
                    try:
                        os.kill(-1, signal.SIGKILL)
                    except ProcessLookupError:
                        break
                os._exit(0)
            except BaseException:
                os._exit(1)
        _, st = os.waitpid(pid, 0)
        ok = os.waitstatus_to_exitcode(st) == 0
        # Killed processes take a moment to die, and their zombies are ours to reap (we are their
        # subreaper): the verdict waits until none is left.
        # Bounded in time, not in rounds: under gVisor one /proc scan beside a fork bomb's remains can
        # take a second. Past 5 s the run is not clean and the worker is replaced.
        give_up = time.monotonic() + 5
        while time.monotonic() < give_up:
            reap()
            if not processes_of(uid):
                break
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
    so that cleanup can reap them all before it answers. True when they do."""
    import ctypes

    PR_SET_CHILD_SUBREAPER = 36
    try:
        return ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0 or os.getpid() == 1
    except (OSError, AttributeError):
        return os.getpid() == 1


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
    nonce = secrets.token_hex(16)
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
        run_child(req, uid, work, path, out_w, err_w, res_w, nonce)
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
    result = streams[res_r].text().split()
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
        "completed": result[:2] == ["done", nonce] and len(result) == 2,
        "exception": result[1] if result[:1] == ["exception"] and len(result) > 1 else None,
        "oom_killed": ooms is not None and after is not None and after > ooms,
        "too_many_processes": too_many,
        "duration_ms": round(duration * 1000, 3),
        "stdout": streams[out_r].text(),
        "stderr": streams[err_r].text(),
        "stdout_bytes": streams[out_r].total,
        "stderr_bytes": streams[err_r].total,
        "clean": clean_ok,
    }


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
    uid = int(sys.argv[1]) if len(sys.argv) > 1 else os.getuid()
    if os.getuid() == 0 and uid == 0:
        raise SystemExit("supervisor: refusing to run programs as root")
    os.makedirs(WORK_ROOT, mode=0o711, exist_ok=True)
    if OWN_NETWORK:
        probe_own_network(uid)
    global SUBREAPER
    SUBREAPER = become_subreaper()
    reply({"ready": True, "python": sys.version.split()[0], "uid": uid, "separate_uid": uid != os.getuid()})
    seq = 0
    for line in sys.stdin.buffer:
        seq += 1
        req = {}
        try:
            req = json.loads(line)
            res = execute(req, uid, seq)
        except Exception:
            res = {"error": traceback.format_exc(limit=5)}
        res["id"] = req.get("id")
        reply(res)


main()
