"""The app's configuration: safe defaults in .streamlit/config.toml, and no secrets in git."""

from __future__ import annotations

import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest
from streamlit.config import ShowErrorDetailsConfigOptions

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / ".streamlit" / "config.toml"


def config() -> dict:
    return tomllib.loads(CONFIG.read_text(encoding="utf-8"))


def test_xsrf_and_cors_protection_are_on() -> None:
    server = config()["server"]
    assert server["enableXsrfProtection"] is True
    # Streamlit warns (and XSRF is weakened) when CORS protection is off
    assert server.get("enableCORS", True) is True


def test_error_details_are_not_shown_in_the_browser() -> None:
    value = config()["client"]["showErrorDetails"]
    assert value == ShowErrorDetailsConfigOptions.NONE.value
    assert value in {option.value for option in ShowErrorDetailsConfigOptions}


def test_server_listens_on_localhost_by_default() -> None:
    assert config()["server"]["address"] == "localhost"


def test_streamlit_reads_the_settings() -> None:
    """The keys are spelled as Streamlit 1.67 knows them (a typo would be ignored silently)."""
    from streamlit import config as st_config

    st_config.get_config_options(force_reparse=True)
    assert st_config.get_option("server.enableXsrfProtection") is True
    assert st_config.get_option("client.showErrorDetails") == "none"
    assert st_config.get_option("server.address") == "localhost"
    assert st_config.get_option("browser.gatherUsageStats") is False


def _tracked(pattern: str) -> list[str]:
    git = shutil.which("git")
    if git is None or not (ROOT / ".git").exists():
        pytest.fail("git and the repository are needed to check what is tracked")
    result = subprocess.run(
        [git, "ls-files", "--cached", "--", pattern],
        cwd=ROOT, capture_output=True, text=True, check=True,
    )
    return result.stdout.split()


def test_secrets_toml_is_not_tracked_by_git() -> None:
    assert _tracked(":(glob)**/secrets.toml") == []
    assert _tracked("secrets.toml") == []


def test_secrets_toml_is_ignored_by_git() -> None:
    ignored = subprocess.run(
        ["git", "check-ignore", "--quiet", ".streamlit/secrets.toml"], cwd=ROOT, check=False
    )
    assert ignored.returncode == 0, ".streamlit/secrets.toml must be in .gitignore"
