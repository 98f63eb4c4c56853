"""Lint is part of the suite, so CI (which runs the tests) keeps the code clean: ruff everywhere, mypy on etl/."""

import subprocess
import sys

from tests.conftest import REPO


def test_ruff():
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "."], cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_on_etl():
    result = subprocess.run([sys.executable, "-m", "mypy"], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
