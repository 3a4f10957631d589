"""The load benchmark: Parley as deployed, beside two reference servers, over real WebSockets.

    make bench-load BENCH_ARGS="--scenarios throughput --seconds 5"
    .venv/bin/python -m bench.load --help

One run starts three servers on this machine, each on a free port with a PostgreSQL
database of its own and (where it has a channel layer) the Redis at BENCH_REDIS:

- parley: the `web:` line of the Procfile, DEBUG=0, WEB_CONCURRENCY=1 unless told;
- tutorial: the Channels tutorial's async consumer with an ORM save, on daphne;
- handwritten: `websockets` + an async psycopg pool, in-process broadcast.

Then it plays signed-in browsers (for Parley) and plain clients (for the references) from
this one process, measures the same scenarios on each server in turn, and prints every
Parley figure beside each reference's with their ratio.

Modules, in the order a run uses them:

- setup: the databases, and Parley's users, sessions and room;
- servers: starting, measuring and stopping each server's process tree;
- tutorial/, handwritten: the two references;
- clients: the WebSocket clients, one per server dialect;
- scenarios: idle, throughput, fanout and big, and what each measures;
- proc: CPU and memory from /proc;
- report, plots: the text tables, the JSON file and the SVG plots;
- __main__: the options and the order of a run.

docs/performance.md explains the method and holds the results.
"""
