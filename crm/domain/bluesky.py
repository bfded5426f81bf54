"""Bluesky identities as a recruiter types them: handles, custom-domain handles, profile
addresses and DIDs, turned into the one actor string the AppView accepts."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlparse

from crm.domain.errors import ValidationError

# A handle is a domain name (atproto handle syntax): labels of letters, digits and hyphens,
# at least two of them, the last not starting with a digit.
_HANDLE_RE = re.compile(r"^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]([a-z0-9-]{0,61}[a-z0-9])?$")
_DID_RE = re.compile(r"^did:(plc|web):[a-z0-9._:%-]{1,2040}$")
_PROFILE_HOSTS = {"bsky.app", "staging.bsky.app", "main.bsky.dev"}
DEFAULT_SUFFIX = ".bsky.social"


@dataclass(frozen=True)
class BlueskyActor:
    """A Bluesky account as typed: ``value`` is a lower-case handle or a DID."""

    value: str

    @property
    def is_did(self) -> bool:
        return self.value.startswith("did:")

    @classmethod
    def parse(cls, text: str) -> BlueskyActor:
        """Accept ``name.bsky.social``, ``@name.bsky.social``, a custom domain handle
        (``trust.nhs.uk``), ``name`` (meaning ``name.bsky.social``), a profile address
        (``https://bsky.app/profile/…``) or a DID (``did:plc:…``)."""
        raw = (text or "").strip()
        if not raw:
            raise ValidationError("A Bluesky handle cannot be empty.", field="bluesky_handle")
        candidate = raw
        if "/" in raw:
            url = raw if "://" in raw else "https://" + raw
            parsed = urlparse(url)
            host = (parsed.hostname or "").lower().removeprefix("www.")
            parts = [p for p in parsed.path.split("/") if p]
            if host not in _PROFILE_HOSTS or len(parts) < 2 or parts[0] != "profile":
                raise ValidationError(
                    f"{raw!r} is not a Bluesky profile address (expected "
                    "https://bsky.app/profile/name.bsky.social).",
                    field="bluesky_handle",
                )
            candidate = parts[1]
        candidate = candidate.removeprefix("@").strip()
        lowered = candidate.lower()
        if lowered.startswith("did:"):
            if not _DID_RE.match(lowered):
                raise ValidationError(
                    f"{raw!r} is not a valid Bluesky DID (did:plc:… or did:web:…).",
                    field="bluesky_handle",
                )
            # DIDs are case-sensitive in principle; did:plc ones are lower-case base32.
            return cls(candidate if candidate.startswith("did:web:") else lowered)
        if "." not in lowered:
            lowered += DEFAULT_SUFFIX
        if len(lowered) > 253 or not _HANDLE_RE.match(lowered):
            raise ValidationError(
                f"{raw!r} is not a valid Bluesky handle: use a domain name such as "
                "name.bsky.social or trust.nhs.uk.",
                field="bluesky_handle",
            )
        return cls(lowered)

    def __str__(self) -> str:
        return self.value if self.is_did else "@" + self.value
