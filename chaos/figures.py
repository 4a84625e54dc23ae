"""The figures of each scenario, and the table printed at the end of the run."""
import json
import os
from dataclasses import asdict, dataclass, field

COLUMNS = [("scenario", "scenario"), ("load", "load"), ("faults", "faults"), ("acknowledged", "acknowledged"),
           ("lost", "lost"), ("duplicates", "duplicates"), ("recovery_s", "recovery s"), ("verdict", "verdict")]


@dataclass
class Row:
    """What one scenario did and saw; ``problems`` empty means it passed."""

    scenario: str
    load: str = ""
    faults: str = ""
    acknowledged: object = None
    lost: object = None
    duplicates: object = None
    recovery_s: object = None
    problems: list = field(default_factory=list)
    notes: list = field(default_factory=list)

    @property
    def verdict(self):
        return "pass" if not self.problems else "FAIL"

    def check(self, condition, problem):
        """Record ``problem`` unless ``condition`` holds."""
        if not condition:
            self.problems.append(problem)

    def failure_message(self):
        return f"{self.scenario}: " + "; ".join(self.problems)


ROWS = []


def record(row):
    """Keep ``row`` for the final table and ``CHAOS_RESULTS``."""
    ROWS.append(row)
    path = os.environ.get("CHAOS_RESULTS")
    if path:
        with open(path, "a", encoding="utf-8") as out:
            out.write(json.dumps({**asdict(row), "verdict": row.verdict}, ensure_ascii=False) + "\n")


def cell(value):
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


def table(rows):
    """The rows as a plain-text table, then the problems and notes of each."""
    lines = [[title for _name, title in COLUMNS]]
    lines += [[cell(getattr(row, name)) for name, _title in COLUMNS] for row in rows]
    widths = [max(len(line[i]) for line in lines) for i in range(len(COLUMNS))]
    out = ["  ".join(text.ljust(width) for text, width in zip(line, widths)).rstrip() for line in lines]
    out.insert(1, "  ".join("-" * width for width in widths))
    for row in rows:
        for problem in row.problems:
            out.append(f"{row.scenario}: FAIL: {problem}")
        for note in row.notes:
            out.append(f"{row.scenario}: {note}")
    return "\n".join(out)
