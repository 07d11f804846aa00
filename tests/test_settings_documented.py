"""Every setting is documented in .env.example, and compose.yaml requires the webhook secret."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from app.settings import Settings

ROOT = Path(__file__).resolve().parents[1]


def test_every_setting_has_a_line_in_env_example() -> None:
    """Each Settings field appears as NAME= in .env.example, under a comment."""
    text = (ROOT / ".env.example").read_text(encoding="utf-8")
    missing = [
        name.upper()
        for name in Settings.model_fields
        if not re.search(rf"^# .*\n(?:# .*\n)*(?:\w+=.*\n)*{name.upper()}=", text, re.M)
    ]
    assert not missing, f"undocumented in .env.example: {missing}"


def test_compose_requires_the_webhook_secret_and_pins_every_image() -> None:
    """The webhook bot cannot start without WEBHOOK_SECRET, and no image floats on a moving tag."""
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
    bot_env = compose["services"]["bot"]["environment"]
    assert bot_env["WEBHOOK_SECRET"].startswith("${WEBHOOK_SECRET:?")
    images = [s["image"] for s in compose["services"].values() if "image" in s]
    floating = [
        image
        for image in images
        if not image.startswith("tgassist:")
        and (":" not in image or image.endswith((":latest", ":7", ":16")))
    ]
    assert not floating, floating
    assert not any("minio" in image for image in images)
