"""`python -m bench [--members N] [--quick]` — see bench/README.md."""

from bench.main import main

if __name__ == "__main__":
    raise SystemExit(main())
