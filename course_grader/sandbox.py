"""Run a student's kernel in a sandbox: own user, no network, hidden secrets, hard limits.

Threat model
============

A submitted notebook is hostile code. It may loop, allocate without bound,
flood its output, fork, kill its kernel, read or overwrite files, patch any
module it can import, or try to make the checks pass without computing the
answers. The grader must still (1) score it correctly, (2) keep every other
submission, the hidden tests, the solutions and the gradebook out of its
reach, and (3) go on with the batch.

Two processes never share an interpreter:

* the **kernel** (untrusted): executes the student's cells, then answers
  *calls* (see :mod:`course_grader.remote`): "call ``kl`` with these tensors".
  It is the only process that ever runs student code, and it runs in the
  sandbox below.
* the **checker** (trusted): the grading process. It runs the hidden checks
  of ``solutions/NAME_tests.py`` with its own, clean ``torch``/``numpy``/``ot``.
  ``nb.kl(p, q)`` in a check sends copies of ``p`` and ``q`` to the kernel and
  gets back *plain data* (numbers, arrays, tensors rebuilt from raw bytes by
  :mod:`course_grader.codec`), never an object of the student's. References
  and comparisons are computed in the checker, which never executed a line of
  the student's code: patching ``torch.allclose``, ``numpy.testing``,
  ``ot.sinkhorn``, ``builtins`` or ``course_grader.checks`` in the notebook
  changes nothing the checks use. All the kernel controls is the data it
  returns for each call, which is exactly what is graded.

The hidden tests never enter the sandbox: not as a file (masked), not as
text (the checker keeps them), not in a message.

The sandbox (this module), per submission
-----------------------------------------

``python -m course_grader.sandbox JOB_DIR -- KERNEL_COMMAND`` is the kernel
launcher. Run as root (the normal case for a grading machine or CI), it:

* **new namespaces** (``unshare(2)``): *network* (no interface is up, so no
  network at all; the kernel talks to the checker through Unix sockets in its
  job folder, ``ipc`` transport), *mount* (private), *PID* (the kernel sees
  only its own processes; when the sandbox's init dies, the kernel and every
  process it forked die with it), *IPC*.
* **masks**: an empty read-only ``tmpfs`` is mounted over the course
  repository, the submissions folder, the output folder, the hidden tests'
  folder, the grader's scratch folder, the grader user's home, ``/tmp``,
  ``/var/tmp`` and ``/dev/shm``; only what the kernel needs to run (the
  Python installation and virtual environment, ``course_lib``,
  ``course_grader`` and its own job folder) is bound back. ``/tmp`` and the
  working directory are fresh size-limited ``tmpfs`` (the ``disk`` limit).
* **its own user**: the kernel runs as a uid of its own (``UID_BASE`` + the
  grading process's pid, gid the same, no supplementary groups,
  ``no_new_privs``): it cannot write anything it does not own, signal or
  trace any process but its own, and two kernels graded at the same time
  cannot touch each other's sockets or files.
* **resource limits** (``setrlimit``, see :class:`Limits`): address space
  (``memory_mb``: ``MemoryError`` instead of swapping the machine), CPU
  seconds (``SIGXCPU`` then ``SIGKILL``), number of processes of its uid
  (``processes``: a fork bomb gets ``BlockingIOError``), size of any file it
  writes (``file_mb``), open files.
* a **fresh working directory**, empty (the notebook reaches the kernel as
  messages, never as a file in it).

The grading process adds a wall-clock limit per cell, per notebook and per
check, and the batch grader a hard wall-clock limit per submission after
which the whole sandbox is killed (:func:`kill`), as well as caps on the
output it keeps and on the size of any message from the kernel.

Not root: the same namespaces inside an unprivileged user namespace (the
kernel then runs in a nested one, so it cannot undo the masks), where the
system allows it. Where no namespace can be created, grading refuses to start
a kernel (status ``sandbox_error``: without the masks a submission could read
the solutions) unless isolation is turned off explicitly (``--no-isolation``:
resource limits and process group only); a student's ``check`` falls back to
that by itself. What was actually enforced is recorded for every submission
(``sandbox.json`` in the job folder, ``GradeResult.sandbox``) and printed in
the batch summary.

Not covered: files that any local user may read (``/usr``, ``/etc``) stay
readable; CPU time is shared with the other submissions graded at the same
time; the kernel's memory is limited per process (a fork multiplies it by at
most ``processes``).
"""

from __future__ import annotations

import ctypes
import json
import os
import resource
import shutil
import signal
import site
import sys
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

UID_BASE = 2_000_000_000  # + the pid of the grading process: a uid no account uses
SPEC_FILE = "spec.json"  # job folder: what the launcher must do (written by the grader)
STATE_FILE = "sandbox.json"  # job folder: what the launcher did (written by the launcher)
PID_FILE = "launcher.pid"
LOG_FILE = "sandbox.log"
CONNECTION_FILE = "kernel.json"  # job folder: the kernel's connection file (ipc sockets in ipc/)
WRITABLE_TMP = ("/tmp", "/dev/shm")  # masked by a fresh, writable, size-limited tmpfs

_CLONE_NEWNS, _CLONE_NEWIPC = 0x00020000, 0x08000000
_CLONE_NEWUSER, _CLONE_NEWPID, _CLONE_NEWNET = 0x10000000, 0x20000000, 0x40000000
_MS_RDONLY, _MS_NOSUID, _MS_NODEV, _MS_NOEXEC = 1, 2, 4, 8
_MS_REMOUNT, _MS_BIND, _MS_REC, _MS_PRIVATE = 32, 4096, 16384, 1 << 18
_PR_SET_PDEATHSIG, _PR_SET_NO_NEW_PRIVS = 1, 38


@dataclass(frozen=True)
class Limits:
    """Per-kernel resource limits (``None``: not limited)."""

    memory_mb: int | None = 4096  # RLIMIT_AS of the kernel (and of each process it forks)
    cpu_s: int | None = 900  # RLIMIT_CPU: CPU seconds of the kernel process
    processes: int | None = 256  # RLIMIT_NPROC: processes and threads of the kernel's uid
    file_mb: int | None = 64  # RLIMIT_FSIZE: largest file the kernel may write
    disk_mb: int = 256  # size of the working directory and of /tmp (tmpfs)
    open_files: int = 1024  # RLIMIT_NOFILE


@dataclass
class Spec:
    """What the launcher does; written by the grader to ``JOB_DIR/spec.json``."""

    job_dir: str
    limits: Limits = field(default_factory=Limits)
    uid: int | None = None  # run the kernel as this uid (root only); None: do not change
    masks: list[str] = field(default_factory=list)  # folders hidden behind an empty tmpfs
    keep: list[str] = field(default_factory=list)  # folders bound back inside the masks
    namespaces: bool = True  # False: resource limits and process group only
    required: bool = True  # refuse to start a kernel if the namespaces (the masks) fail

    @property
    def work_dir(self) -> Path:
        return Path(self.job_dir) / "box" / "work"

    @property
    def home_dir(self) -> Path:
        return Path(self.job_dir) / "box" / "home"

    def write(self) -> None:
        data = asdict(self)
        path = Path(self.job_dir) / SPEC_FILE
        path.write_text(json.dumps(data, indent=1), encoding="utf-8")
        path.chmod(0o600)

    @classmethod
    def read(cls, job_dir: str | Path) -> Spec:
        data = json.loads((Path(job_dir) / SPEC_FILE).read_text(encoding="utf-8"))
        data["limits"] = Limits(**data["limits"])
        return cls(**data)


# ------------------------------------------------------------------ grader side


def default_keep() -> list[str]:
    """What a kernel needs to run: the interpreter, its environment, the course packages."""
    import importlib.util

    paths = {sys.prefix, sys.base_prefix, sys.exec_prefix, os.path.dirname(sys.executable)}
    paths.update(site.getsitepackages())
    paths.add(os.path.dirname(os.path.realpath(sys.executable)))
    for package in ("course_lib", "course_grader"):
        spec = importlib.util.find_spec(package)
        if spec and spec.submodule_search_locations:
            paths.update(spec.submodule_search_locations)
    resolved = {os.path.realpath(p) for p in paths if p and os.path.isdir(p)}
    return sorted(resolved | {os.path.abspath(p) for p in paths if p and os.path.isdir(p)})


def _package_repository() -> str | None:
    """The course repository this ``course_grader`` was installed from, if any
    (an editable install): it holds solutions even when it is not the one graded."""
    here = Path(__file__).resolve().parent.parent
    return str(here) if (here / "solutions").is_dir() else None


def default_masks(scratch: str | Path, secrets: list[str | Path]) -> list[str]:
    """Folders to hide: ``secrets`` (course root, submissions, output, tests), the
    scratch folder, the temporary folders, the grader user's home and the
    repository ``course_grader`` runs from."""
    candidates = [tempfile.gettempdir(), "/tmp", "/var/tmp", "/dev/shm", str(scratch)]
    candidates += [p for p in (os.path.expanduser("~"), _package_repository()) if p]
    candidates.extend(str(s) for s in secrets if s and str(s).strip())
    out = []
    for path in candidates:
        real = os.path.realpath(path)
        if os.path.isdir(real) and real != "/" and real not in out:
            out.append(real)
    return out


SCRATCH_PREFIX = "cgr-"
OWNER_FILE = "owner.pid"


def new_scratch() -> Path:
    """A fresh scratch folder for job folders (``cgr-*`` in the temporary folder,
    mode 0711), recording its owner's pid; scratch folders left by graders that
    were killed (owner gone) are removed."""
    base = Path(tempfile.gettempdir())
    for stale in base.glob(f"{SCRATCH_PREFIX}*"):
        try:
            owner = int((stale / OWNER_FILE).read_text())
            os.kill(owner, 0)
        except ProcessLookupError:
            shutil.rmtree(stale, ignore_errors=True)
        except (OSError, ValueError):
            pass  # not ours to judge: no owner file, or the owner runs as another user
    scratch = Path(tempfile.mkdtemp(prefix=SCRATCH_PREFIX))
    scratch.chmod(0o711)
    (scratch / OWNER_FILE).write_text(str(os.getpid()))
    return scratch


def sandbox_uid() -> int | None:
    """The kernel's uid for a sandbox started by this process (root only)."""
    return UID_BASE + os.getpid() if os.geteuid() == 0 else None


def prepare(spec: Spec) -> None:
    """Create the job folder layout the launcher expects (grader side)."""
    job = Path(spec.job_dir)
    job.mkdir(parents=True, exist_ok=True)
    job.chmod(0o711)
    for sub in ("box", "box/work", "box/home", "ipc", "tmp"):
        (job / sub).mkdir(parents=True, exist_ok=True)
    if spec.uid is not None:
        for sub in ("box", "box/work", "box/home", "ipc", "tmp"):
            os.chown(job / sub, spec.uid, spec.uid)
            (job / sub).chmod(0o700)
    spec.write()


def read_state(job_dir: str | Path) -> dict:
    """What the launcher recorded (``{}`` if it did not start)."""
    try:
        return json.loads((Path(job_dir) / STATE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def describe(state: dict) -> str:
    """One line: what isolation a kernel actually had."""
    if not state:
        return "sandbox did not start"
    parts = [
        "namespaces: " + (state.get("namespaces") or "none"),
        "user: " + state.get("user", "?"),
        "masks: " + ("yes" if state.get("masked") else "no"),
        "rlimits: " + ", ".join(state.get("rlimits", [])),
    ]
    if state.get("fallback"):
        parts.append("fallback: " + state["fallback"])
    return "; ".join(parts)


def kill(uid: int | None = None, *, pid: int | None = None) -> None:
    """Kill a sandbox: its launcher's process group (``pid``: the PID namespace
    dies with it) and, when the kernel had a uid of its own, every process left
    with that uid. ``pid`` must come from the grader (never from a file the
    kernel could write) and still be unreaped."""
    if pid:
        for send in (os.killpg, os.kill):
            try:
                send(pid, signal.SIGKILL)
            except OSError:
                pass
    if uid is not None and uid >= UID_BASE and os.geteuid() == 0:
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    if os.stat(f"/proc/{entry}").st_uid == uid:
                        os.kill(int(entry), signal.SIGKILL)
                except OSError:
                    pass


# ----------------------------------------------------------------- launcher side

_libc = None


def _c():
    global _libc
    if _libc is None:
        _libc = ctypes.CDLL(None, use_errno=True)
    return _libc


def _check(result: int, what: str) -> None:
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")


def _mount(
    source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None
):
    def enc(text):
        return text.encode() if text is not None else None

    _check(
        _c().mount(enc(source), enc(target), enc(fstype), ctypes.c_ulong(flags), enc(data)),
        f"mount {target}",
    )


def _prctl(option: int, value: int) -> None:
    _c().prctl(option, ctypes.c_ulong(value), 0, 0, 0)


def _write(path: str, text: str) -> None:
    with open(path, "w") as handle:
        handle.write(text)


def _under(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def _apply_masks(spec: Spec) -> None:
    """Hide every mask behind an empty read-only tmpfs and bind the keeps back,
    read-only (run as root of the new mount namespace, before /proc is replaced).
    The job folder comes back read-only too, except its ``ipc/`` socket folder;
    its ``box/`` becomes a fresh tmpfs holding the working directory and home."""
    job = spec.job_dir
    keeps = [k for k in sorted(set(spec.keep) | {job}) if os.path.isdir(k)]
    keeps = [k for k in keeps if not any(k != o and _under(k, o) for o in keeps)]
    handles = {k: os.open(k, os.O_PATH | os.O_DIRECTORY) for k in keeps}
    ipc = os.path.join(job, "ipc")
    ipc_handle = os.open(ipc, os.O_PATH | os.O_DIRECTORY)
    bound: set[str] = set()

    def bind_back(keep: str) -> None:
        os.makedirs(keep, exist_ok=True)
        _mount(f"/proc/self/fd/{handles[keep]}", keep, None, _MS_BIND | _MS_REC)
        _mount(None, keep, None, _MS_REMOUNT | _MS_BIND | _MS_RDONLY | _MS_NOSUID | _MS_NODEV)
        bound.add(keep)

    masked: list[str] = []
    for mask in sorted(set(spec.masks), key=len):
        if not os.path.isdir(mask) or mask in keeps:
            continue
        if any(_under(mask, m) for m in masked) and not any(_under(mask, k) for k in keeps):
            continue  # already hidden
        writable = mask in WRITABLE_TMP
        options = f"size={spec.limits.disk_mb}m,mode=1777" if writable else "size=64k,mode=755"
        _mount("tmpfs", mask, "tmpfs", _MS_NOSUID | _MS_NODEV, options)
        masked.append(mask)
        for keep in keeps:
            if _under(keep, mask) and keep != mask:
                bind_back(keep)
        if not writable:
            _mount(None, mask, None, _MS_REMOUNT | _MS_RDONLY | _MS_NOSUID | _MS_NODEV, options)
    for keep in keeps:
        if keep not in bound:
            bind_back(keep)  # read-only even where nothing above it is masked
    _mount(f"/proc/self/fd/{ipc_handle}", ipc, None, _MS_BIND)
    for fd in (*handles.values(), ipc_handle):
        os.close(fd)
    # Writable, size-limited scratch space: the working directory and home.
    size = f"size={spec.limits.disk_mb}m"
    owner = f",uid={spec.uid},gid={spec.uid}" if spec.uid is not None else ""
    box = os.path.join(job, "box")
    _mount("tmpfs", box, "tmpfs", _MS_NOSUID | _MS_NODEV, f"{size},mode=700{owner}")
    for sub in ("work", "home"):
        os.mkdir(os.path.join(box, sub), 0o700)
        if spec.uid is not None:
            os.chown(os.path.join(box, sub), spec.uid, spec.uid)


def _set_rlimits(limits: Limits, tasks: int = 0) -> None:
    """Apply :class:`Limits` to this process (inherited by what it execs and forks)."""
    mb = 1024 * 1024
    pairs = [
        (resource.RLIMIT_AS, limits.memory_mb and limits.memory_mb * mb, None),
        (resource.RLIMIT_CPU, limits.cpu_s, limits.cpu_s and limits.cpu_s + 5),
        (resource.RLIMIT_FSIZE, limits.file_mb and limits.file_mb * mb, None),
        (resource.RLIMIT_NOFILE, limits.open_files, None),
        (resource.RLIMIT_CORE, 0, None),
        # per user: a uid of its own counts only the kernel's tasks, else add what runs now
        (resource.RLIMIT_NPROC, limits.processes and limits.processes + tasks, None),
    ]
    for kind, soft, hard in pairs:
        if soft is not None:
            resource.setrlimit(kind, (soft, soft if hard is None else hard))


def _tasks_of(uid: int) -> int:
    """Tasks (threads) of ``uid`` now: RLIMIT_NPROC counts them per user."""
    count = 0
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.stat(f"/proc/{entry}").st_uid == uid:
                    count += len(os.listdir(f"/proc/{entry}/task"))
            except OSError:
                pass
    return count


def _kernel_env(spec: Spec, tmp: str) -> dict[str, str]:
    home = str(spec.home_dir)
    env = {
        "PATH": os.pathsep.join(
            [os.path.dirname(sys.executable), "/usr/local/bin", "/usr/bin", "/bin"]
        ),
        "HOME": home,
        "USER": "student",
        "LOGNAME": "student",
        "LANG": "C.UTF-8",
        "TMPDIR": tmp,
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
        "IPYTHONDIR": os.path.join(home, ".ipython"),
        "MPLCONFIGDIR": os.path.join(home, ".matplotlib"),
        "JUPYTER_PLATFORM_DIRS": "1",
        "PYDEVD_DISABLE_FILE_VALIDATION": "1",
        "MALLOC_ARENA_MAX": "2",
    }
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        env[var] = os.environ.get(var, "1")
    if "VIRTUAL_ENV" in os.environ:
        env["VIRTUAL_ENV"] = os.environ["VIRTUAL_ENV"]
    return env


def _drop_privileges(spec: Spec, state: dict) -> None:
    if spec.uid is not None and os.geteuid() == 0:
        os.setgroups([])
        os.setresgid(spec.uid, spec.uid, spec.uid)
        os.setresuid(spec.uid, spec.uid, spec.uid)
    elif state.get("userns"):
        # Nested user namespace: the kernel is an ordinary user again, with no
        # capability over the mount namespace, so it cannot undo the masks.
        outer_uid, outer_gid = state["userns"]
        _check(_c().unshare(_CLONE_NEWUSER), "unshare(user)")
        _write("/proc/self/setgroups", "deny")
        _write("/proc/self/uid_map", f"{outer_uid} 0 1")
        _write("/proc/self/gid_map", f"{outer_gid} 0 1")


def _enter_namespaces(state: dict) -> None:
    flags = _CLONE_NEWNS | _CLONE_NEWNET | _CLONE_NEWPID | _CLONE_NEWIPC
    if os.geteuid() == 0:
        _check(_c().unshare(flags), "unshare")
    else:
        uid, gid = os.getuid(), os.getgid()
        _check(_c().unshare(flags | _CLONE_NEWUSER), "unshare(user)")
        _write("/proc/self/setgroups", "deny")
        _write("/proc/self/uid_map", f"0 {uid} 1")
        _write("/proc/self/gid_map", f"0 {gid} 1")
        state["userns"] = [uid, gid]
    _mount(None, "/", None, _MS_REC | _MS_PRIVATE)
    state["namespaces"] = "network, mount, pid, ipc" + (", user" if "userns" in state else "")


def _exit_code(status: int) -> int:
    if os.WIFSIGNALED(status):
        return 128 + os.WTERMSIG(status)
    return os.WEXITSTATUS(status) if os.WIFEXITED(status) else 1


def _init(spec: Spec, state: dict, state_fd: int, command: list[str]) -> None:
    """PID 1 of the sandbox (a plain child without namespaces): set up the file
    system, start the kernel, reap every process, exit with the kernel's status
    (which, in a PID namespace, kills every process left in it)."""
    _prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    tmp = str(Path(spec.job_dir) / "tmp")
    if state.get("namespaces"):
        try:
            _apply_masks(spec)
            _mount("proc", "/proc", "proc", _MS_NOSUID | _MS_NODEV | _MS_NOEXEC)
        except OSError as error:
            print(
                f"course_grader.sandbox: cannot hide the grader's files: {error}", file=sys.stderr
            )
            os._exit(125)  # never run a kernel that could read the hidden tests
        state["masked"] = True
        tmp = "/tmp"
    os.write(state_fd, json.dumps(state).encode())
    os.close(state_fd)
    kernel = os.fork()
    if kernel == 0:
        try:
            signal.signal(signal.SIGINT, signal.default_int_handler)
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            _set_rlimits(spec.limits, state.get("tasks", 0))
            _drop_privileges(spec, state)
            _prctl(_PR_SET_NO_NEW_PRIVS, 1)
            _prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
            os.chdir(spec.work_dir)
            os.execve(command[0], command, _kernel_env(spec, tmp))
        except BaseException as error:  # report and die: the grader sees a dead kernel
            print(f"course_grader.sandbox: cannot start the kernel: {error!r}", file=sys.stderr)
            os._exit(126)

    _supervise(kernel)


def _supervise(child: int) -> None:
    """Wait for ``child`` and exit with its status; SIGTERM kills it first. Other children
    that end meanwhile are reaped (the init of a PID namespace inherits orphans)."""

    def stop(signum, frame):
        try:
            os.kill(child, signal.SIGKILL)
        finally:
            os._exit(128 + signum)

    signal.signal(signal.SIGTERM, stop)
    while True:
        try:
            pid, status = os.wait()
        except ChildProcessError:
            os._exit(1)
        if pid == child:
            os._exit(_exit_code(status))


def launch(job_dir: str, command: list[str]) -> None:
    """``python -m course_grader.sandbox JOB_DIR -- COMMAND...`` (see the module docstring)."""
    _prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the kernel gets SIGINT through the group
    spec = Spec.read(job_dir)
    job = Path(job_dir)
    log = os.open(job / LOG_FILE, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
    os.dup2(log, 1)
    os.dup2(log, 2)
    (job / PID_FILE).write_text(str(os.getpid()))
    state_fd = os.open(job / STATE_FILE, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    state: dict = {"user": "the grader's own user", "namespaces": "", "masked": False}
    if spec.uid is not None and os.geteuid() == 0:
        state["user"] = f"uid {spec.uid} (its own, no groups)"
        connection = job / CONNECTION_FILE  # the kernel must read its own connection file
        if connection.exists():
            os.chown(connection, spec.uid, spec.uid)
            connection.chmod(0o400)
    elif spec.limits.processes is not None:
        state["tasks"] = _tasks_of(os.getuid())  # RLIMIT_NPROC counts per user
    state["rlimits"] = _describe_limits(spec.limits)
    if spec.namespaces:
        try:
            _enter_namespaces(state)
        except OSError as error:
            state["fallback"] = f"no namespaces ({error.strerror or error}): resource limits only"
            if spec.required:
                os.write(state_fd, json.dumps(state).encode())
                print(
                    f"course_grader.sandbox: cannot create the namespaces that hide the hidden "
                    f"tests and solutions ({error}); run as root, allow unprivileged user "
                    "namespaces, or accept a weaker sandbox with --no-isolation",
                    file=sys.stderr,
                )
                os._exit(125)
    else:
        state["fallback"] = "namespaces turned off: resource limits only"
    child = os.fork()
    if child == 0:
        _init(spec, state, state_fd, command)
    os.close(state_fd)
    _supervise(child)


def _describe_limits(limits: Limits) -> list[str]:
    out = [f"memory {limits.memory_mb} MB"] if limits.memory_mb else []
    out += [f"cpu {limits.cpu_s} s"] if limits.cpu_s else []
    out += [f"processes {limits.processes}"] if limits.processes else []
    out += [f"file {limits.file_mb} MB"] if limits.file_mb else []
    return out + [f"disk {limits.disk_mb} MB", f"open files {limits.open_files}"]


if __name__ == "__main__":
    if len(sys.argv) < 4 or sys.argv[2] != "--":
        sys.exit("usage: python -m course_grader.sandbox JOB_DIR -- COMMAND...")
    launch(sys.argv[1], sys.argv[3:])
