"""``python -m etl``: the command line of :mod:`etl.cli.main`, with the sub-commands that read through the
dashboard's per-user views (``snapshot``: :mod:`dashboard.snapshot.cli`).

``etl`` never imports ``dashboard`` (the layering is dashboard -> etl); this entry point sits above both
(``tests/test_layout.py``) and is where the two meet.
"""

import sys

from dashboard.snapshot import cli as snapshot_cli
from etl.cli.main import main

sys.exit(main(extra=(snapshot_cli.add_parser,)))
