"""Running axe-core (node_modules/, pinned in package-lock.json) over a page, and saying
what it found in lines a person can act on. Pages get axe through `new_page(axe=True)`."""

from __future__ import annotations

from tests.browser.support import Page

# Every rule axe runs by default (WCAG 2.0 to 2.2 A and AA, and its best practices), at
# every impact: a minor violation is still one.
RUN = "() => axe.run(document, { resultTypes: ['violations'] })"


def violations(page: Page) -> list[str]:
    """One line per element that breaks a rule: the rule, its impact, where, and why."""
    results = page.evaluate(RUN)
    return [
        f"{rule['id']} ({rule['impact']}) at {' '.join(map(str, node['target']))}: "
        f"{node['failureSummary'].replace(chr(10), ' ')}"
        for rule in results["violations"]
        for node in rule["nodes"]
    ]
