"""Finds the team's shared folder (seed pages, the example package) for tests and tools."""

import os
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[2]


def shared_dir() -> Path:
    """STOA_SHARED_DIR, else the `shared` folder beside the repository, else /work/shared."""
    candidates: list[str | Path] = [
        os.environ.get("STOA_SHARED_DIR", ""),
        REPOSITORY.parent / "shared",
        "/work/shared",
    ]
    for candidate in candidates:
        if candidate and (Path(candidate) / "course-format.md").is_file():
            return Path(candidate)
    raise FileNotFoundError(
        "The shared folder (seeds, examples) was not found beside the repository; "
        "set STOA_SHARED_DIR to its path."
    )
