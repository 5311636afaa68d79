"""Every table a job hands back, described once: which job makes it, the file it is written to, what it holds,
its number format and whether it describes children one by one (child-level tables are the ones a council
officer sees only for their own council, and the ones retention applies to).

Jobs compute and return their tables; `write_tables` is the one place that turns them into files, and
`outputs_markdown` documents them (`rcc schema --outputs`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd


@dataclass(frozen=True)
class Output:
    job: str
    table: str
    file: str
    description: str
    float_format: str | None = None
    child_level: bool = False


OUTPUTS: tuple[Output, ...] = (
    Output("public_market", "councils", "market_councils.csv",
           "Per council x year: children's homes and places (Ofsted, by sector), places per 10,000 children (ONS), "
           "children looked after and in children's homes (DfE), the local sufficiency ratio, shares placed "
           "outside the council and over 20 miles, each with its source", "%.4f"),
    Output("public_market", "areas", "market_areas.csv",
           "Per region, RCC pathfinder and England x year: the same figures summed, with owner concentration of "
           "independent places (owners, HHI, top owner, top-three share)", "%.4f"),
    Output("public_market", "owners", "market_owners.csv",
           "Per owner x year, England: children's homes, places, share of places, rank; places in the first year "
           "with owners named, for growth", "%.5f"),
    Output("public_market", "changes", "market_changes.csv",
           "Per council and England x pair of consecutive Ofsted lists: homes and places that joined and left"),
    Output("public_market", "issues", "market_issues.csv",
           "Every problem found reading the publications (file, row, column, value, rule, severity)"),
)


def outputs_of(job: str) -> list[Output]:
    return [o for o in OUTPUTS if o.job == job]


def write_tables(job: str, tables: dict[str, pd.DataFrame], folder: Path) -> dict[str, Path]:
    """Write a job's tables as its registered files; a table the registry does not know is a programming error."""
    folder.mkdir(parents=True, exist_ok=True)
    known = {o.table: o for o in outputs_of(job)}
    unknown = sorted(set(tables) - set(known))
    if unknown:
        raise KeyError(f"{job} returned tables the output registry does not describe: {', '.join(unknown)}")
    written = {}
    for name, frame in tables.items():
        output = known[name]
        path = folder / output.file
        frame.to_csv(path, index=False, float_format=output.float_format)
        written[name] = path
    return written


def outputs_markdown() -> str:
    lines = ["| job | file | child-level | what it holds |", "|---|---|---|---|"]
    lines += [f"| {o.job} | `{o.file}` | {'yes' if o.child_level else ''} | {o.description} |" for o in OUTPUTS]
    return "\n".join(lines)
