"""Render deploy/nginx.conf.template for N app instances and prepare nginx's run folder.

    uv run python -m deploy.nginx --listen 127.0.0.1:8080 \\
        --upstream 127.0.0.1:8601 --upstream 127.0.0.1:8602 --run-dir /srv/kt-nginx

writes /srv/kt-nginx/nginx.conf and prints the command that starts nginx on it.
"""

from __future__ import annotations

import argparse
import re
import shutil
from pathlib import Path

TEMPLATE = Path(__file__).with_name("nginx.conf.template")
PLACEHOLDER = re.compile(r"\$\{(KT_[A-Z_]+)\}")


def render(listen: str, upstreams: list[str], run_dir: Path) -> str:
    """The nginx.conf text: `listen` (host:port), one `server` line per instance (host:port)."""
    if not upstreams:
        raise ValueError("at least one app instance is needed")
    values = {
        "KT_LISTEN": listen,
        "KT_RUN_DIR": str(run_dir),
        "KT_UPSTREAMS": "\n".join(
            f"        server {address} max_fails=1 fail_timeout=10s;" for address in upstreams
        ),
    }
    return PLACEHOLDER.sub(lambda m: values[m.group(1)], TEMPLATE.read_text(encoding="utf-8"))


def nginx_binary() -> str | None:
    return shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if Path(p).exists()), None
    )


def write(listen: str, upstreams: list[str], run_dir: Path) -> Path:
    """Write run_dir/nginx.conf (and the folder); returns its path."""
    run_dir.mkdir(parents=True, exist_ok=True)
    conf = run_dir / "nginx.conf"
    conf.write_text(render(listen, upstreams, run_dir.resolve()), encoding="utf-8")
    return conf


def command(run_dir: Path) -> list[str]:
    """nginx in the foreground on run_dir/nginx.conf, logging into run_dir."""
    run_dir = run_dir.resolve()
    return [nginx_binary() or "nginx", "-p", str(run_dir), "-c", str(run_dir / "nginx.conf"),
            "-e", str(run_dir / "error.log"), "-g", "daemon off;"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.nginx", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--listen", default="127.0.0.1:8080", help="host:port nginx listens on")
    parser.add_argument("--upstream", action="append", required=True,
                        help="host:port of an app instance (repeat for each)")
    parser.add_argument("--run-dir", type=Path, required=True,
                        help="folder for nginx.conf, logs, pid file and temporary files")
    args = parser.parse_args(argv)
    conf = write(args.listen, args.upstream, args.run_dir)
    print(f"Wrote {conf}. Start nginx with:")
    print("  " + " ".join(f"'{part}'" if " " in part else part for part in command(args.run_dir)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
