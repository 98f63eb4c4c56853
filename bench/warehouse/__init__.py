"""The warehouse benchmark, split by job; ``bench/bench_warehouse.py`` is its command line.

- :mod:`bench.warehouse.common`: the throwaway PostgreSQL, a warehouse in it, environments, counts, the docs;
- :mod:`bench.warehouse.load`: 1, 2 and 3 offices loading at once against one embedded load;
- :mod:`bench.warehouse.pages`: every page's queries on the warehouse against the embedded file;
- :mod:`bench.warehouse.worker`: the process that times a page's queries the way the app runs them.
"""
