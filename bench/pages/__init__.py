"""The page benchmark, split by job; ``bench/bench_pages.py`` is its command line.

- :mod:`bench.pages.common`: paths, targets, statistics, worker processes, CPU use;
- :mod:`bench.pages.data`: the demo database (built with the real CLI) and the views to time;
- :mod:`bench.pages.duck`: DuckDB cold and warm timings;
- :mod:`bench.pages.pandas_pages`, :mod:`bench.pages.pandas_profile`: the same aggregates in pandas;
- :mod:`bench.pages.pandas_run`: the pandas worker process and its comparison with DuckDB;
- :mod:`bench.pages.browser`: the app in headless Chromium;
- :mod:`bench.pages.report`: console summaries and docs/performance.md.
"""
