"""Grade a folder of submissions: in parallel, each in its own sandbox, resumably.

:func:`grade_batch` is ``course-grade grade SUBMISSIONS --assignment ID --out DIR``:

1. **scan** the submissions (:mod:`course_grader.submissions`): files that
   do not follow the naming convention, duplicates and the like get a row
   with a status and a reason, and are not graded;
2. **skip** what the journal (:mod:`course_grader.journal`) says is done
   for the same file content and the same hidden tests;
3. **pre-check** the rest in this process (empty, not UTF-8, not JSON, not
   a notebook, another assignment's notebook: zero with the reason, no kernel);
4. **grade** the others in parallel, ``jobs`` at a time. Each submission is a
   fresh *job process* forked from a warm server (``multiprocessing``
   forkserver with the hidden tests' imports preloaded), which starts the
   student's sandboxed kernel, runs the notebook and the checks
   (:func:`course_grader.run.grade_notebook`) and sends back the result. This
   process watches a hard wall-clock limit per submission (the notebook's
   limit, plus every check's, plus a minute); past it, the job and its whole
   sandbox are killed and the submission is recorded as ``killed``;
5. **record** every result as it arrives: feedback and Gradescope files,
   then one fsync'ed journal line, then ``gradebook.csv`` rewritten
   atomically (:mod:`course_grader.reports`). Killed at any point, the batch
   resumes where it stopped, without losing or duplicating a row.
"""

from __future__ import annotations

import ast
import importlib.util
import multiprocessing
import multiprocessing.connection
import os
import shutil
import signal
import time
import traceback
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from . import checks as checks_mod
from . import reports, run, sandbox, submissions
from .assignments import Assignment, find_root
from .journal import Journal, atomic_write, key
from .run import GradeResult

# kernel start-up and teardown, on top of the notebook's and the checks' limits
STARTUP_SLACK_S = 60
# a job process that has not begun yet: the forkserver may still be importing the grader
FORK_SLACK_S = 300
PENDING = "pending"  # gradebook rows not graded yet (only seen in an interrupted batch)


@dataclass(frozen=True)
class Settings:
    """How every submission is run (see ``course-grade grade --help``)."""

    cell_timeout: int = 60
    total_timeout: int = 300
    check_timeout: float = 30.0
    limits: sandbox.Limits = field(default_factory=sandbox.Limits)
    isolate: bool = True
    output_limit: int = 1024 * 1024
    hard_limit_s: float | None = None  # default: see hard_limit()

    def hard_limit(self, n_checks: int) -> float:
        """Seconds after which a submission's job and sandbox are killed: the
        notebook's limit, plus every check's, plus a minute (unless set)."""
        if self.hard_limit_s is not None:
            return self.hard_limit_s
        return self.total_timeout + n_checks * self.check_timeout + STARTUP_SLACK_S


@dataclass(frozen=True)
class Task:
    """One notebook to grade in a job process."""

    path: str
    label: str  # for progress lines and the results
    assignment: str
    tests: str
    root: str | None
    secrets: tuple[str, ...]
    scratch: str


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


def preload_modules(tests: str | Path) -> list[str]:
    """Modules a job process needs warm: the grader's and the tests file's imports."""
    names = ["course_grader.run", "course_grader.kernel", "course_grader.batch"]
    try:
        tree = ast.parse(Path(tests).read_text(encoding="utf-8"))
    except (OSError, SyntaxError):
        return names
    for node in tree.body:
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.append(node.module)
    found = []
    for name in dict.fromkeys(names):
        try:
            if importlib.util.find_spec(name) is not None:
                found.append(name)
        except (ImportError, ValueError):
            pass
    return found


def _job_main(conn, task: Task, settings: Settings) -> None:
    """A job process: grade one notebook, send ``("started", pid, uid)`` then
    ``("done", result)`` (or ``("error", text)``)."""
    sandbox._prctl(sandbox._PR_SET_PDEATHSIG, signal.SIGKILL)  # die with the forkserver
    conn.send(("begin",))  # the submission's wall clock starts now
    try:
        import torch

        torch.set_num_threads(1)  # parallelism is across submissions
    except ImportError:
        pass
    try:
        result = run.grade_notebook(
            task.path,
            tests=task.tests,
            assignment=task.assignment,
            root=task.root,
            cell_timeout=settings.cell_timeout,
            total_timeout=settings.total_timeout,
            check_timeout=settings.check_timeout,
            limits=settings.limits,
            isolate=settings.isolate,
            secrets=task.secrets,
            scratch=task.scratch,
            output_limit=settings.output_limit,
            on_start=lambda pid, uid: conn.send(("started", pid, uid)),
        )
        conn.send(("done", result.to_dict()))
    except BaseException:  # noqa: BLE001 - report, never hang the batch
        conn.send(("error", traceback.format_exc(limit=5)))
    finally:
        conn.close()


@dataclass
class _Running:
    task: Task
    process: multiprocessing.process.BaseProcess
    started: float
    launcher: int | None = None
    uid: int | None = None
    begun: bool = False  # the job process runs (the forkserver may take a while to start)


def _failure(task: Task, specs, status: str, detail: str, started: float) -> GradeResult:
    return run.score(task.assignment, task.path, specs, [], status, detail=detail, started=started)


def run_tasks(
    tasks: list[Task],
    specs: list[checks_mod.CheckSpec],
    settings: Settings,
    *,
    jobs: int,
    on_result: Callable[[Task, GradeResult], None],
) -> None:
    """Grade ``tasks``, ``jobs`` at a time; ``on_result`` gets each result as it arrives."""
    if not tasks:
        return
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(preload_modules(tasks[0].tests))
    hard_limit = settings.hard_limit(len(specs))
    pending = deque(tasks)
    running: dict = {}

    def stop(job: _Running) -> None:
        """Kill a running job and its sandbox (the launcher first: while its parent,
        the job, lives, its pid cannot have been reused)."""
        sandbox.kill(job.uid, pid=job.launcher)
        job.process.kill()

    def finish(conn, result: GradeResult) -> None:
        """Record a job's result, leaving no process of its sandbox behind."""
        job = running.pop(conn)
        conn.close()
        job.process.join(timeout=5)
        if job.process.is_alive():
            stop(job)
            job.process.join(timeout=5)
        sandbox.kill(job.uid)
        shutil.rmtree(job.task.scratch, ignore_errors=True)
        on_result(job.task, result)

    try:
        while pending or running:
            while pending and len(running) < jobs:
                task = pending.popleft()
                receiver, sender = context.Pipe(duplex=False)
                process = context.Process(target=_job_main, args=(sender, task, settings))
                process.start()
                sender.close()
                running[receiver] = _Running(task, process, time.monotonic())
            for conn in multiprocessing.connection.wait(list(running), timeout=0.5):
                job = running[conn]
                try:
                    message = conn.recv()
                except (EOFError, OSError):
                    job.process.join(timeout=5)
                    why = f"the grading process ended without a result (exit code {job.process.exitcode})"
                    finish(conn, _failure(job.task, specs, run.SANDBOX_ERROR, why, job.started))
                    continue
                if message[0] == "begin":
                    job.started, job.begun = time.monotonic(), True
                elif message[0] == "started":
                    job.launcher, job.uid = message[1], message[2]
                elif message[0] == "done":
                    finish(conn, GradeResult.from_dict(message[1]))
                else:
                    last = str(message[1]).strip().splitlines()[-1:]
                    why = "the grader failed: " + (last[0] if last else "unknown error")
                    finish(conn, _failure(job.task, specs, run.SANDBOX_ERROR, why, job.started))
            now = time.monotonic()
            for conn, job in list(running.items()):
                if now - job.started > hard_limit + (0 if job.begun else FORK_SLACK_S):
                    stop(job)
                    why = f"stopped at the hard wall-clock limit of {hard_limit:g} s per submission"
                    finish(conn, _failure(job.task, specs, run.KILLED, why, job.started))
    finally:
        for job in list(running.values()):  # interrupted: leave nothing running
            stop(job)
            shutil.rmtree(job.task.scratch, ignore_errors=True)


@dataclass
class BatchResult:
    rows: list[dict]
    summary: str
    graded_now: int
    reused: int


def grade_batch(
    paths: list[str | Path],
    assignment: str,
    out: str | Path,
    *,
    root: str | Path | None = None,
    tests: str | Path | None = None,
    jobs: int | None = None,
    settings: Settings | None = None,
    regrade: bool = False,
    echo: Callable[[str], None] = print,
) -> BatchResult:
    """Grade every submission in ``paths`` (folders and files) for ``assignment``
    into ``out`` (see the module docstring). Returns the rows and the summary."""
    started = time.monotonic()
    settings = settings or Settings()
    jobs = jobs or default_jobs()
    root_path = Path(root).resolve() if root else (None if tests else find_root())
    tests_path = Path(tests) if tests else Assignment.at(root_path, assignment).tests
    specs = checks_mod.load(tests_path)
    questions = list(dict.fromkeys(s.question for s in specs))
    max_total = sum(s.points for s in specs)
    tests_sha = submissions.sha256(tests_path)
    out = Path(out).resolve()
    folders = [Path(p).resolve() for p in paths if Path(p).is_dir()]
    for folder in folders:
        if out == folder or folder in out.parents:
            raise ValueError(f"--out {out} must not be inside the submissions folder {folder}")
    entries, ignored = submissions.scan(list(paths), assignment)
    out.mkdir(parents=True, exist_ok=True)
    journal = Journal(out / "journal.jsonl")
    done = {} if regrade else journal.load()
    scratch_root = sandbox.new_scratch()
    hidden = [*folders, out, tests_path.resolve().parent, scratch_root]
    hidden += [Path(p).resolve().parent for p in paths if not Path(p).is_dir()]
    hidden += [root_path] if root_path else []
    secrets = tuple(dict.fromkeys(str(p) for p in hidden))
    rows: dict[str, dict] = {}
    counts = {"now": 0, "reused": 0, "ran": 0}
    isolation: list[str] = []

    def write_gradebook() -> None:
        ordered = [rows[e.name] for e in entries if e.name in rows]
        atomic_write(out / "gradebook.csv", reports.gradebook_csv(ordered, questions, max_total))

    def record(entry, sha: str, result: GradeResult, *, fresh: bool) -> None:
        if entry.student:
            atomic_write(
                out / "feedback" / f"{entry.student}.md",
                reports.feedback_markdown(entry.student, result),
            )
            atomic_write(
                out / "results" / entry.student / "results.json", reports.gradescope_json(result)
            )
        if fresh:
            journal.append(
                {
                    "key": key(entry.name, sha, tests_sha),
                    "file": entry.name,
                    "student": entry.student,
                    "sha256": sha,
                    "result": result.to_dict(),
                }
            )
        rows[entry.name] = reports.row(
            student=entry.student,
            file=entry.name,
            status=result.status,
            reason=" ".join(result.detail.split()),
            result=result,
            sha=sha,
        )
        if result.sandbox and not isolation:
            isolation.append(result.sandbox)

    tasks: list[Task] = []
    by_task: dict[str, tuple] = {}
    for index, entry in enumerate(entries):
        if entry.status:
            rows[entry.name] = reports.row(
                student=entry.student, file=entry.name, status=entry.status, reason=entry.reason
            )
            continue
        sha = submissions.sha256(entry.path)
        previous = done.get(key(entry.name, sha, tests_sha))
        if previous is not None:
            record(entry, sha, GradeResult.from_dict(previous["result"]), fresh=False)
            counts["reused"] += 1
            continue
        nb, read_error = submissions.read_notebook(entry.path)
        early = run.precheck(
            entry.path, nb, read_error, assignment, specs, expected=assignment, started=None
        )
        if early is not None:
            record(entry, sha, early, fresh=True)
            counts["now"] += 1
            continue
        task = Task(
            path=str(entry.path),
            label=entry.student or entry.name,
            assignment=assignment,
            tests=str(tests_path),
            root=str(root_path) if root_path else None,
            secrets=secrets,
            scratch=str(scratch_root / f"job{index}"),
        )
        tasks.append(task)
        by_task[task.scratch] = (entry, sha)
        rows[entry.name] = reports.row(
            student=entry.student, file=entry.name, status=PENDING, reason="not graded yet"
        )
    write_gradebook()
    total = len(tasks)
    if counts["reused"]:
        echo(f"{counts['reused']} submission(s) already graded (journal): kept")

    def on_result(task: Task, result: GradeResult) -> None:
        entry, sha = by_task[task.scratch]
        record(entry, sha, result, fresh=True)
        write_gradebook()
        counts["now"] += 1
        counts["ran"] += 1
        echo(
            f"[{counts['ran']}/{total}] {task.label}: {result.points:g}/{result.max_points:g} "
            f"({result.status}) {result.seconds:.1f} s"
        )

    try:
        run_tasks(tasks, specs, settings, jobs=jobs, on_result=on_result)
    finally:
        shutil.rmtree(scratch_root, ignore_errors=True)
    ordered = [rows[e.name] for e in entries]
    text = reports.summary(
        ordered,
        assignment=assignment,
        max_total=max_total,
        graded_now=counts["now"],
        reused=counts["reused"],
        seconds=time.monotonic() - started,
        jobs=jobs,
        ignored=ignored,
        isolation=isolation[0] if isolation else "",
        out=str(out),
    )
    atomic_write(out / "summary.txt", text + "\n")
    echo(text)
    return BatchResult(ordered, text, counts["now"], counts["reused"])
