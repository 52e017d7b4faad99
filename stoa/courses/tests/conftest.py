import shutil
from pathlib import Path

import pytest

from stoa.lib.shared import shared_dir

# The example package of the format document. It is read-only: tests edit copies of it.
EXAMPLE_PACKAGE = shared_dir() / "examples" / "qi-basics"


def copy_package(source: Path, destination: Path) -> Path:
    """Copy a package to edit it; the copy is writable even if the original is not."""
    shutil.copytree(source, destination, copy_function=shutil.copyfile)
    for path in [destination, *destination.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    return destination


@pytest.fixture
def example_package() -> Path:
    assert EXAMPLE_PACKAGE.is_dir(), f"the example package is not at {EXAMPLE_PACKAGE}"
    return EXAMPLE_PACKAGE


@pytest.fixture
def package(example_package: Path, tmp_path: Path) -> Path:
    """A writable copy of the example package, qi-basics."""
    return copy_package(example_package, tmp_path / "qi-basics")
