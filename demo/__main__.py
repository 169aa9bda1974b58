"""``python -m demo``: load the synthetic demo centre (see demo/cli.py)."""

from demo.cli import main

raise SystemExit(main())
