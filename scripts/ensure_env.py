"""Create a local .env with fresh random keys on first set-up (never committed, never a default)."""

import secrets
from pathlib import Path

ENV = Path(__file__).resolve().parent.parent / ".env"


def main() -> None:
    existing = ENV.read_text(encoding="utf-8") if ENV.exists() else ""
    wanted = {
        "SECRET_KEY": secrets.token_urlsafe(50),
        "FIELD_ENCRYPTION_KEY": secrets.token_hex(16),
    }
    lines = [f"{k}={v}" for k, v in wanted.items() if f"{k}=" not in existing]
    if lines:
        with ENV.open("a", encoding="utf-8") as fh:
            if existing and not existing.endswith("\n"):
                fh.write("\n")
            fh.write("\n".join(lines) + "\n")
        ENV.chmod(0o600)
        print(f"wrote new keys to {ENV.name}: {', '.join(k for k in wanted if f'{k}=' not in existing)}")


if __name__ == "__main__":
    main()
