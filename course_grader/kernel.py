"""Execute a notebook in a sandboxed kernel (what ``grade`` and ``check`` share).

:class:`SandboxedKernel` is a context manager around nbclient's
``NotebookClient``:

* the kernel is an ipykernel started through :mod:`course_grader.sandbox`
  (own uid, no network, masked files, resource limits) and reached through
  Unix sockets in its job folder (``ipc`` transport), so it needs no network;
* :meth:`SandboxedKernel.execute` runs every cell with a per-cell timeout
  (the kernel is interrupted and execution goes on), a limit for all cells
  together (later cells are skipped), and records the cells that raised;
* the outputs kept in memory are capped (``output_limit`` bytes; the rest is
  counted and dropped), messages larger than ``MAX_MESSAGE_BYTES`` are
  refused by the socket, widget messages are ignored;
* :meth:`SandboxedKernel.channel` then gives the
  :class:`course_grader.remote.Channel` the checks call the notebook through;
* on exit the kernel and every process it started are killed and the job
  folder is removed.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import zmq
from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import run_sync
from nbclient import NotebookClient
from nbclient.exceptions import DeadKernelError
from nbformat import NotebookNode
from traitlets import Unicode

from . import sandbox
from .kernel_side import RESULT_MIME
from .remote import MAX_MESSAGE_BYTES, Channel

STARTUP_TIMEOUT_S = 60


@dataclass(frozen=True)
class CellError:
    """A notebook cell that raised (``ename`` is ``CellTimeoutError`` after a timeout)."""

    index: int
    cell_id: str | None
    ename: str
    evalue: str


@dataclass
class Execution:
    """What happened while the notebook's cells ran."""

    cell_errors: list[CellError] = field(default_factory=list)
    skipped_after: int | None = None  # cells from this index on did not run (total time limit)
    died: str = ""  # why the kernel died, if it did
    outputs: list[tuple[int, list]] = field(default_factory=list)  # (cell index, outputs)
    dropped_output_bytes: int = 0
    seconds: float = 0.0

    @property
    def timed_out(self) -> bool:
        return self.skipped_after is not None or any(
            e.ename == "CellTimeoutError" for e in self.cell_errors
        )


class _SandboxedKernelManager(AsyncKernelManager):
    """Starts the kernel command through ``python -m course_grader.sandbox``."""

    job_dir = Unicode("")

    def format_kernel_cmd(self, extra_arguments=None):
        cmd = super().format_kernel_cmd(extra_arguments)
        return [sys.executable, "-m", "course_grader.sandbox", self.job_dir, "--", *cmd]


class _CappedClient(NotebookClient):
    """NotebookClient that keeps at most ``output_limit`` bytes of outputs."""

    def __init__(self, *args, output_limit: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.output_limit = output_limit
        self.kept_bytes = 0
        self.dropped_bytes = 0

    def output(self, outs, msg, display_id, cell_index):
        content = msg.get("content", {})
        size = len(content.get("text", "")) + sum(
            len(str(v)) for v in content.get("data", {}).values()
        )
        size += sum(len(line) for line in content.get("traceback", []))
        data = content.get("data", {})
        if RESULT_MIME in data and msg.get("msg_type") == "display_data":
            # an answer to the checker: kept as is (validated later), no schema check
            answer = NotebookNode(output_type="display_data", metadata={}, data=data)
            outs.append(answer)
            return answer
        if self.kept_bytes + size > self.output_limit:
            self.dropped_bytes += size
            return None
        self.kept_bytes += size
        return super().output(outs, msg, display_id, cell_index)

    def handle_comm_msg(self, outs, msg, cell_index):
        return None  # widget state is not needed to grade, and would grow without bound


def _make_kernel_manager(job: Path) -> _SandboxedKernelManager:
    km = _SandboxedKernelManager(kernel_name="python3")
    km.job_dir = str(job)
    km.transport = "ipc"
    km.ip = str(job / "ipc" / "k")
    km.connection_file = str(job / "kernel.json")
    km.context.setsockopt(zmq.MAXMSGSIZE, MAX_MESSAGE_BYTES)
    return km


class SandboxedKernel:
    """``with SandboxedKernel(nb, ...) as kernel: kernel.execute(); kernel.channel()``."""

    def __init__(
        self,
        nb: nbformat.NotebookNode,
        *,
        limits: sandbox.Limits | None = None,
        cell_timeout: int = 60,
        total_timeout: int = 600,
        secrets: tuple[str | Path, ...] = (),
        scratch: str | Path | None = None,
        isolate: bool | str = True,
        output_limit: int = 1024 * 1024,
        on_start=None,
    ):
        self.nb = nb
        self.limits = limits or sandbox.Limits()
        self.cell_timeout = cell_timeout
        self.total_timeout = total_timeout
        self.secrets = tuple(secrets)
        self.scratch = Path(scratch) if scratch else None
        self.isolate = isolate
        self.output_limit = output_limit
        self.on_start = on_start  # called with (launcher pid, kernel uid) once started
        # True: full sandbox or no kernel; "best-effort": fall back to resource limits; False: off
        self.client: _CappedClient | None = None
        self.job: Path | None = None
        self.uid: int | None = None
        self._own_scratch = False
        self._setup = None
        self._channel: Channel | None = None
        self.n_cells = len(nb.cells)

    # -- lifecycle ---------------------------------------------------------------

    def __enter__(self) -> SandboxedKernel:
        if self.scratch is None:
            self.scratch = sandbox.new_scratch()
            self._own_scratch = True
        self.scratch.mkdir(parents=True, exist_ok=True)
        self.scratch.chmod(0o711)
        self.job = Path(tempfile.mkdtemp(prefix="course-grader-run-", dir=self.scratch))
        self.uid = sandbox.sandbox_uid() if self.isolate else None
        spec = sandbox.Spec(
            job_dir=str(self.job),
            limits=self.limits,
            uid=self.uid,
            masks=sandbox.default_masks(self.scratch, list(self.secrets)) if self.isolate else [],
            keep=sandbox.default_keep() if self.isolate else [],
            namespaces=bool(self.isolate),
            required=self.isolate is True,
        )
        sandbox.prepare(spec)
        km = _make_kernel_manager(self.job)
        self.client = _CappedClient(
            self.nb,
            km=km,
            timeout=self.cell_timeout,
            startup_timeout=STARTUP_TIMEOUT_S,
            allow_errors=True,
            record_timing=False,
            interrupt_on_timeout=True,
            shutdown_kernel="immediate",
            error_on_timeout={
                "ename": "CellTimeoutError",
                "evalue": f"ran longer than {self.cell_timeout} s",
            },
            resources={"metadata": {"path": str(self.job)}},
            output_limit=self.output_limit,
        )
        self.client.owns_km = True
        self._setup = self.client.setup_kernel()
        try:
            self._setup.__enter__()
        except BaseException:
            self._cleanup()
            raise
        if self.on_start:
            self.on_start(self.launcher_pid, self.uid)
        return self

    def __exit__(self, *exc) -> None:
        self._cleanup()

    @property
    def launcher_pid(self) -> int | None:
        return getattr(self._launcher_process(), "pid", None)

    def _cleanup(self) -> None:
        process = self._launcher_process()
        if self._channel is not None:
            self._channel.close()
            self._channel = None
        if self._setup is not None:
            try:
                self._setup.__exit__(None, None, None)
            except Exception:  # noqa: BLE001 - the kernel may already be gone
                pass
            self._setup = None
        if self.job is not None:
            # the launcher's group, only while it is not reaped (its pid cannot be reused yet)
            alive = process is not None and process.poll() is None
            sandbox.kill(self.uid, pid=process.pid if alive else None)
            shutil.rmtree(self.job, ignore_errors=True)
        if self._own_scratch and self.scratch is not None:
            shutil.rmtree(self.scratch, ignore_errors=True)

    def _launcher_process(self):
        km = self.client.km if self.client is not None else None
        return getattr(getattr(km, "provisioner", None), "process", None)

    def sandbox_state(self) -> dict:
        return sandbox.read_state(self.job) if self.job else {}

    def sandbox_log(self, limit: int = 2000) -> str:
        try:
            return (self.job / sandbox.LOG_FILE).read_text(errors="replace")[-limit:]
        except OSError:
            return ""

    # -- execution ---------------------------------------------------------------

    def execute(self) -> Execution:
        """Run every cell of the notebook (see the module docstring)."""
        client, nb = self.client, self.nb
        result = Execution()
        started = time.monotonic()

        def on_cell_executed(cell, cell_index, execute_reply):
            content = execute_reply.get("content", {})
            if cell_index < self.n_cells and content.get("status") == "error":
                result.cell_errors.append(
                    CellError(
                        cell_index,
                        cell.get("id"),
                        str(content.get("ename", ""))[:200],
                        str(content.get("evalue", ""))[:2000],
                    )
                )

        client.on_cell_executed = on_cell_executed
        try:
            for index in range(self.n_cells):
                if time.monotonic() - started > self.total_timeout:
                    result.skipped_after = index
                    break
                cell = nb.cells[index]
                if cell.cell_type != "code":
                    continue
                client.execute_cell(cell, index)
                result.outputs.append((index, cell.get("outputs", [])))
        except DeadKernelError as error:
            result.died = self.death_reason(error)
        finally:
            client.on_cell_executed = None
            result.dropped_output_bytes = client.dropped_bytes
            result.seconds = round(time.monotonic() - started, 3)
        return result

    def death_reason(self, error: Exception | None = None) -> str:
        """Why the kernel died, from the launcher's exit status when known."""
        process = getattr(getattr(self.client.km, "provisioner", None), "process", None)
        code = process.poll() if process is not None else None
        if code is None and process is not None:
            try:
                code = process.wait(timeout=2)
            except Exception:  # noqa: BLE001 - still running: unknown
                code = None
        return "the kernel died: " + (describe_exit(code) if code is not None else str(error))

    def channel(self) -> Channel:
        """The channel the hidden checks call the notebook through (after :meth:`execute`).
        The notebook client's own channels are closed: from now on only the
        checker's requests are read."""
        client = self.client
        if client.kc is not None:
            client.kc.stop_channels()
        process = getattr(getattr(client.km, "provisioner", None), "process", None)
        self._channel = Channel(
            str(self.job / sandbox.CONNECTION_FILE),
            is_alive=lambda: process is not None and process.poll() is None,
            interrupt=run_sync(client.km.interrupt_kernel),
            death_reason=self.death_reason,
        )
        return self._channel


SIGNAL_REASONS = {
    "SIGKILL": "killed by SIGKILL (out of memory, or killed on purpose)",
    "SIGXCPU": "stopped by the CPU time limit (SIGXCPU)",
    "SIGXFSZ": "stopped by the file size limit (SIGXFSZ)",
    "SIGSEGV": "it crashed (SIGSEGV)",
    "SIGABRT": "it aborted (SIGABRT)",
}


def describe_exit(code: int) -> str:
    """Why a kernel ended, from its exit status (128 + N: killed by signal N, as
    the launcher reports it)."""
    import signal

    if code > 128:
        try:
            name = signal.Signals(code - 128).name
        except ValueError:
            name = f"signal {code - 128}"
        return SIGNAL_REASONS.get(name, f"killed by {name}")
    if code in (125, 126):
        return "the sandbox could not start the kernel"
    return f"it exited with status {code} (sys.exit, os._exit or exit() in the notebook?)"


def env_info() -> str:
    """The interpreter the kernels use (for reports)."""
    return f"{os.path.basename(sys.executable)} {sys.version.split()[0]}"
