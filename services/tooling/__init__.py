"""Tooling beside the portal: the demo data (`seed_demo`), the synthetic history of the
load tests and statistics (`seed_load`), and the benchmarks (`bench_queue`,
`bench_statistics`, `make bench`).

It builds on every domain app and no domain app imports it (an import contract in
pyproject.toml says so, and `make test` checks it). It writes tables directly, in bulk,
where the domain would go through its actions: that is what generating a million cases takes.
It has no models and no pages.
"""
