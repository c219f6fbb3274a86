"""``serve --workers N``: N gateway node processes that share one HTTP/OCPP port.

One Python process uses one core, so a machine with more cores runs several nodes. Each worker
is an ordinary node (its own event loop, backend connection, node id and station websockets)
started as ``ocpi-gateway serve --worker-index I``, and binds the port with ``SO_REUSEPORT``:
the kernel spreads new connections (OCPI requests and station websockets alike) over the
workers. Nodes already cooperate through Redis (any node accepts an OCPI call; the job runs on
the node that holds the station's websocket), which is why more than one worker needs
``redis.url``: the embedded backend lives inside one process.

This supervisor stays small on purpose. It forwards SIGTERM/SIGINT to every worker and waits
for each to drain (exit 0 when all did); a worker that dies on its own is restarted after a
short back-off (with Redis, the restarted node resumes its work), and a worker that keeps
dying stops the whole group with exit 1 rather than loop forever.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from types import FrameType

import structlog

log = structlog.get_logger("ocpi_gateway.workers")

POLL_SECONDS = 0.2
RESTART_BACKOFF = (0.5, 1.0, 2.0, 5.0)
CRASH_WINDOW_SECONDS = 30.0
MAX_CRASHES_IN_WINDOW = 5


@dataclass
class Worker:
    """One worker process and its recent crashes."""

    index: int
    process: subprocess.Popen[bytes] | None = None
    crashes: list[float] = field(default_factory=list)
    restart_at: float = 0.0


@dataclass
class Supervisor:
    """Starts ``count`` workers, restarts the ones that die, stops them all on a signal."""

    count: int
    config: str | None
    stop_timeout: float
    workers: list[Worker] = field(default_factory=list)
    stopping: bool = False

    def argv(self, index: int) -> list[str]:
        """The command line of worker ``index``: ``serve`` itself, told it shares the port."""
        argv = [sys.executable, "-m", "ocpi_gateway", "serve", "--worker-index", str(index)]
        if self.config is not None:
            argv += ["--config", self.config]
        return argv

    def run(self) -> int:
        """Supervise until a signal (exit 0 when every worker drained) or a crash loop (exit 1)."""
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGINT, self._on_signal)
        self.workers = [Worker(index) for index in range(self.count)]
        for worker in self.workers:
            self._start(worker)
        log.info("workers_started", workers=self.count)
        failed = False
        while not self.stopping:
            time.sleep(POLL_SECONDS)
            failed = self._check()
            if failed:
                break
        codes = self._stop_all()
        # -SIGTERM: a worker still starting when the stop came (it had not served anything yet).
        return 1 if failed or any(code not in (0, -signal.SIGTERM) for code in codes) else 0

    def _on_signal(self, _signum: int, _frame: FrameType | None) -> None:
        self.stopping = True

    def _start(self, worker: Worker) -> None:
        # Own session: a terminal's Ctrl-C reaches the supervisor only, which stops the workers once.
        worker.process = subprocess.Popen(self.argv(worker.index), start_new_session=True)  # noqa: S603

    def _check(self) -> bool:
        """Restart workers that ended; True when one keeps crashing (the group gives up)."""
        now = time.monotonic()
        for worker in self.workers:
            process = worker.process
            if process is None:
                if now >= worker.restart_at:
                    self._start(worker)
                    log.warning("worker_restarted", worker=worker.index)
                continue
            code = process.poll()
            if code is None:
                continue
            worker.crashes = [t for t in worker.crashes if now - t < CRASH_WINDOW_SECONDS] + [now]
            log.error("worker_exited", worker=worker.index, code=code, recent_crashes=len(worker.crashes))
            if len(worker.crashes) >= MAX_CRASHES_IN_WINDOW:
                log.error("workers_giving_up", worker=worker.index, window_seconds=CRASH_WINDOW_SECONDS)
                return True
            backoff = RESTART_BACKOFF[min(len(worker.crashes), len(RESTART_BACKOFF)) - 1]
            worker.process, worker.restart_at = None, now + backoff
        return False

    def _stop_all(self) -> list[int]:
        """SIGTERM every worker, wait for them to drain, SIGKILL what is left after ``stop_timeout``."""
        running = [w.process for w in self.workers if w.process is not None and w.process.poll() is None]
        for process in running:
            process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + self.stop_timeout
        codes = []
        for process in running:
            try:
                codes.append(process.wait(timeout=max(0.0, deadline - time.monotonic())))
            except subprocess.TimeoutExpired:
                process.kill()
                codes.append(process.wait())
        log.info("workers_stopped", codes=codes)
        return codes
