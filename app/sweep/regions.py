"""The regions a sweep runs on: region folders (or workbooks) as they are, or England cut into RCCs.

`england_rccs` is the national synthetic region (every English council, `rcc synth --region national`) cut into
one region per ONS English region (North East ... South West): nine RCC-sized regions, each with its councils,
their children, referrals and SSDA903 history, the settings in their area or holding one of their children, and
every provider (the cut the monthly batch's tests make of Greater Manchester). They are written once, under the
sweep's output folder, and reused while the seed is the same.

A region is identified by its name (the folder's) and a digest of its files' bytes, computed here without
parsing, so the sweep knows which cells are done before any worker loads anything.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import pandas as pd

COMPLETE = ".complete"  # written last: a folder without it was cut short and is made again


def region_name(path: Path) -> str:
    path = Path(path)
    return path.stem if path.suffix else path.name


def folder_digest(path: Path) -> str:
    """sha256 of a region's files (a folder's CSV files by name, or one workbook), read as bytes."""
    path = Path(path)
    sha = hashlib.sha256()
    files = sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith(".")) if path.is_dir() \
        else [path]
    for file in files:
        sha.update(file.name.encode() + b"\0" + file.read_bytes() + b"\0")
    return sha.hexdigest()[:16]


def _slug(name: str) -> str:
    return "-".join("".join(c if c.isalnum() else " " for c in name.lower()).split())


def english_region_of(codes: pd.Series) -> pd.Series:
    """Each council's ONS English region (North West, London, ...) from the register of councils."""
    from data.authorities import register

    table = register().table.drop_duplicates("la_code").set_index("la_code")
    return codes.map(table["region_name"])


def cut(tables: dict[str, pd.DataFrame], members: list[str]) -> dict[str, pd.DataFrame]:
    """The region of `members`: their councils, children, referrals and SSDA903 history, the settings in their area
    or holding one of their children, every provider."""
    ours = lambda frame, column: frame[frame[column].isin(members)]  # noqa: E731
    children, referrals = ours(tables["children"], "la_code"), ours(tables["referrals"], "la_code")
    header = ours(tables["header"], "LA")
    used = set(children["current_setting_id"].dropna()) | set(referrals["current_setting_id"].dropna())
    settings = tables["settings"]
    settings = settings[settings["la_code"].isin(members) | settings["setting_id"].isin(used)]
    in_care = set(header["CHILD"])
    return {"authorities": ours(tables["authorities"], "la_code"), "providers": tables["providers"],
            "settings": settings, "children": children, "referrals": referrals, "header": header,
            "episodes": tables["episodes"][tables["episodes"]["CHILD"].isin(in_care)],
            "uasc": tables["uasc"][tables["uasc"]["CHILD"].isin(in_care)]}


def england_rccs(folder: Path, seed: int = 1, only: list[str] | None = None,
                 progress=lambda message: None) -> list[Path]:
    """The national synthetic region at `seed` cut into England's nine regions, as folders under `folder`
    (made once; reused while complete). `only`: the regions' names to keep (north-west, london, ...)."""
    from data.schema import TABLES
    from data.synthetic import generate, write

    base = Path(folder) / f"england-seed{seed}"
    if not (base / COMPLETE).exists():
        progress(f"Generating the national synthetic region (seed {seed}) and cutting it into England's regions "
                 f"under {base} (once)")
        # only the region's own tables: the generator's answer key stays with the generator
        tables = {name: frame for name, frame in generate("national", seed).items() if name in TABLES}
        regions = english_region_of(tables["authorities"]["la_code"])
        partial = base.with_name(base.name + f".partial-{os.getpid()}")
        shutil.rmtree(partial, ignore_errors=True)
        for name in sorted(regions.dropna().unique()):
            members = tables["authorities"].loc[regions.eq(name), "la_code"].tolist()
            write(cut(tables, members), partial / _slug(name))
        (partial / COMPLETE).write_text(f"national synthetic region, seed {seed}\n")
        shutil.rmtree(base, ignore_errors=True)
        os.replace(partial, base)
    folders = sorted(p for p in base.iterdir() if p.is_dir())
    if only:
        unknown = sorted(set(only) - {p.name for p in folders})
        if unknown:
            raise ValueError(f"no English region {', '.join(unknown)}; they are {', '.join(p.name for p in folders)}")
        folders = [p for p in folders if p.name in only]
    return folders
