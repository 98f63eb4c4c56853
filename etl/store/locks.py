"""Exclusive file locks with a deadline: the database writer, the users file and the audit log share this."""

from __future__ import annotations

import fcntl
import time


def flock_within(fd: int, timeout_s: float, poll_s: float = 0.05) -> bool:
    """Take an exclusive ``flock`` on ``fd``, waiting up to ``timeout_s``; False when it stayed taken.

    Callers raise their own error (which lock, what to do) when this returns False.
    """
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(poll_s)
