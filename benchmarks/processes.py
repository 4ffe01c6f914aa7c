"""What the benchmarks that start their own servers share: a free port, and a set of started
processes seen and stopped with all their children (trainers, Celery's pool)."""
from __future__ import annotations

import socket
import subprocess

import psutil


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def process_tree(processes: list[subprocess.Popen]) -> list[psutil.Process]:
    """Each started process followed by all its descendants (gone ones left out)."""
    out = []
    for p in processes:
        try:
            proc = psutil.Process(p.pid)
            out += [proc, *proc.children(recursive=True)]
        except psutil.NoSuchProcess:
            continue
    return out


def kill_tree(processes: list[subprocess.Popen]) -> None:
    """Kill the processes and their descendants, children first, and reap what we started."""
    for proc in reversed(process_tree(processes)):
        try:
            proc.kill()
        except psutil.Error:
            pass
    for p in processes:
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            pass
