"""The app's version, for reports that must say what produced them: the project version from
pyproject.toml and, in a git checkout, the commit (read from .git, no subprocess)."""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _commit(root: Path) -> str:
    git = root / ".git"
    try:
        head = (git / "HEAD").read_text(encoding="utf-8").strip()
        if head.startswith("ref: "):
            ref = head[5:]
            ref_file = git / ref
            if ref_file.exists():
                return ref_file.read_text(encoding="utf-8").strip()[:10]
            packed = git / "packed-refs"
            for line in packed.read_text(encoding="utf-8").splitlines():
                if line.endswith(" " + ref):
                    return line.split(" ", 1)[0][:10]
            return ""
        return head[:10]
    except OSError:
        return ""


@cache
def app_version(root: Path = ROOT) -> str:
    """'0.1.0 (a1b2c3d4e5)', or just the version outside a git checkout."""
    try:
        with (root / "pyproject.toml").open("rb") as fh:
            version = str(tomllib.load(fh)["project"]["version"])
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        version = "ukendt"
    commit = _commit(root)
    return f"{version} ({commit})" if commit else version
