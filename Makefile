# One way to run each thing. Every target bootstraps .venv from the pinned requirements.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# The Procfile reads these.
export PARLEY_HOST := $(HOST)
export PARLEY_PORT := $(PORT)

.PHONY: install run test lint format migrations-check bench bench-admin bench-load bench-search bench-rooms bench-post bench-pages clean

install: $(VENV)/.installed

# What the browser tests inject into pages (axe-core), pinned in package-lock.json. Only
# `make test` needs it, so `make run` still needs nothing but Python. npm ci again whenever
# the lock changes; the stamp is inside node_modules, so removing that directory reinstalls.
NODE_DEPS := node_modules/.installed
$(NODE_DEPS): package.json package-lock.json
	@command -v npm >/dev/null || { echo "The browser tests need Node.js and npm (apt-get install npm)"; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(VENV)/.installed: requirements.txt requirements-dev.txt
	@command -v $(PYTHON) >/dev/null || { echo "Parley needs $(PYTHON) (Python 3.11) on PATH"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt -r requirements-dev.txt
	touch $@

# The Procfile's processes together: web (HTTP + WebSockets), Celery worker and beat.
# Ctrl-C stops all of them; so does any one of them exiting, with one line saying which.
run: install
	@test -f .env || { cp .env.example .env && echo "Created .env from .env.example"; }
	$(BIN)/python manage.py migrate --no-input
	exec $(BIN)/python project/supervise.py Procfile

# Most tests wait on sockets and server processes, so the suite runs in TEST_WORKERS pytest
# processes (pytest-xdist), each with its own test database and Redis prefix
# (tests/settings.py), dealt out as tests/scheduling.py says. TEST_WORKERS=0 runs it in
# this one process.
TEST_WORKERS ?= 3
test: install $(NODE_DEPS)
	$(BIN)/python manage.py check --settings=tests.settings
	$(BIN)/python manage.py makemigrations --check --dry-run --settings=tests.settings
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadscope $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

migrations-check: install
	$(BIN)/python manage.py makemigrations --check --dry-run

# Benchmarks: results and how to read them are in docs/.
bench: install
	$(BIN)/python bench/prune.py

bench-admin: install
	$(BIN)/python bench/admin_changelist.py

# The room page, history pages, admin pages and index on a room in service; BENCH_ARGS="--ab
# ../old-checkout" compares two checkouts in one sitting (docs/performance.md).
bench-pages: install
	$(BIN)/python bench/pages.py $(BENCH_ARGS)

# Parley beside two reference servers; BENCH_ARGS="--help" lists every count and duration.
bench-load: install
	$(BIN)/python -m bench.load $(BENCH_ARGS)

bench-search: install
	$(BIN)/python bench/search.py

# PostgreSQL's CPU per saved message, for the batch statement alone (docs/performance.md).
bench-post: install
	$(BIN)/python bench/post_statement.py --analyze $(BENCH_ARGS)

# GET /api/rooms/ for a person in 500 rooms (docs/rooms.md).
bench-rooms: install
	$(BIN)/python bench/rooms_api.py

clean:
	rm -rf $(VENV) var node_modules
