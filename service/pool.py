"""Keep N warm training processes alive next to the web server.

Each is ``python -m service.trainer``, started fresh (never forked from a process that imported
TensorFlow). A watchdog replaces one that dies; its runs are marked failed with the reason, and the
user sees only a slower start for the next run while the new process warms up. Every few seconds
it also fails running runs whose heartbeat stopped.
"""
from __future__ import annotations

import atexit
import os
import subprocess
import sys
import threading
from pathlib import Path

from service.store import RunStore

WATCH_SECONDS = 0.5
LIVENESS_EVERY = 10  # watch ticks between liveness checks of all running runs


class TrainerPool:
    """``size`` worker processes for ``data_dir``, watched by a daemon thread of this process."""

    def __init__(self, data_dir: str | Path, size: int, warm_up: bool = True) -> None:
        if size < 1:
            raise ValueError(f"the trainer pool needs at least 1 process; got {size}")
        self.data_dir = str(data_dir)
        self.size = size
        self.owner = os.getpid()
        self.warm_up = warm_up
        self.processes: list[subprocess.Popen] = []
        self._stop = threading.Event()
        self._lock = threading.Lock()

    def _spawn(self) -> subprocess.Popen:
        command = [sys.executable, "-m", "service.trainer", "--data-dir", self.data_dir, "--parent-pid", str(self.owner)]
        return subprocess.Popen(command + ([] if self.warm_up else ["--no-warm-up"]),
                                cwd=str(Path(__file__).resolve().parent.parent), stdin=subprocess.DEVNULL)

    def start(self) -> "TrainerPool":
        with self._lock:
            self.processes = [self._spawn() for _ in range(self.size)]
        threading.Thread(target=self._watch, name="trainer-pool-watchdog", daemon=True).start()
        atexit.register(self.stop)
        return self

    def _watch(self) -> None:
        store = RunStore(self.data_dir)
        ticks = 0
        while not self._stop.wait(WATCH_SECONDS):
            ticks += 1
            if ticks % LIVENESS_EVERY == 0:
                store.fail_dead_workers()  # also runs whose heartbeat stopped, wherever they ran
            with self._lock:
                for i, process in enumerate(self.processes):
                    if process.poll() is not None and not self._stop.is_set():
                        store.fail_dead_workers()
                        self.processes[i] = self._spawn()

    def pids(self) -> list[int]:
        with self._lock:
            return [p.pid for p in self.processes]

    def stop(self) -> None:
        """End the workers; only the process that started them may (forked children inherit atexit)."""
        if os.getpid() != self.owner:
            return
        self._stop.set()
        with self._lock:
            for process in self.processes:
                if process.poll() is None:
                    process.kill()
            for process in self.processes:
                try:
                    process.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    pass
