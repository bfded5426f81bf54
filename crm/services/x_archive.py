"""Importing X's "Download an archive of your data" (a folder or the .zip), with no API use.

The archive's ``data/*.js`` files each hold one JavaScript assignment,
``window.YTD.<name>.part0 = [...]``. From ``account.js`` we learn whose archive it is; from
``tweets.js`` (``tweet.js`` in older archives, and ``-partN`` splits) we store the user's own
tweets and log those that mention or reply to linked people as interactions; from
``direct-messages.js`` we log DMs with linked people, one interaction per conversation per
day. Every interaction carries a ``source_ref`` so importing the same archive again adds
nothing. The whole import is one transaction.
"""

from __future__ import annotations

import json
import logging
import re
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm.domain.enums import Direction, InteractionKind, XAccountStatus
from crm.domain.errors import NotFoundError, ValidationError
from crm.services import audit
from crm.services.x_store import own_account, rename_accounts, store_tweets
from crm.services.xlink import TWEET_REF, new_x_interaction
from crm.storage.db import Database
from crm.storage.models import Interaction, Person, User, XAccount
from crm.x.types import XTweet

log = logging.getLogger(__name__)

DM_REF = "x:dm:{}:{}"  # conversation id, UTC day
# tweets.js of a prolific account runs to a few hundred MB; refuse what could only be a zip bomb.
MAX_FILE_BYTES = 2_000_000_000

_YTD = re.compile(r"\A\s*window\.YTD\.(\w+)\.part(\d+)\s*=\s*")
_TWEET_FILES = re.compile(r"^tweets?(?:-part\d+)?\.js$")
_DM_FILES = re.compile(r"^direct-messages(?:-part\d+)?\.js$")
_GROUP_DM_FILES = re.compile(r"^direct-messages-group(?:-part\d+)?\.js$")
_MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTHS = {m: i for i, m in enumerate(_MONTH_NAMES, 1)}

Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class ArchiveReport:
    """What an import found, stored, logged and skipped."""

    handle: str
    tweets_found: int
    tweets_new: int
    tweet_interactions: int
    dm_interactions: int
    already_logged: int
    matched: tuple[tuple[str, int], ...]  # (person, interactions logged now)
    skipped: tuple[tuple[str, int], ...]  # (reason, how many)

    def lines(self) -> list[str]:
        """The report as the command line and the app show it."""
        out = [
            f"Archive of @{self.handle}: {self.tweets_found} tweets, {self.tweets_new} new.",
            f"Logged {self.tweet_interactions} tweet(s) and {self.dm_interactions} DM "
            f"conversation-day(s) with linked people; {self.already_logged} already logged.",
        ]
        out += [f"  matched {name}: {n}" for name, n in self.matched]
        out += [f"  skipped {n} {reason}" for reason, n in self.skipped if n]
        return out


# --------------------------------------------------------------------------- reading files


class _ArchiveFiles:
    """The ``data`` folder of an archive, in a folder or a zip (read in memory, never
    extracted, so a hostile zip cannot write anywhere)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._zip: zipfile.ZipFile | None = None
        self._names: dict[str, str] = {}  # file name in data/ -> member or file path
        if not path.exists():
            raise NotFoundError(f"There is no file or folder at {path}.")
        if path.is_dir():
            data = path / "data" if (path / "data").is_dir() else path
            self._names = {p.name: str(p) for p in data.iterdir() if p.suffix == ".js"}
        elif not path.is_file():
            # /dev/zero, a pipe, a socket: a zip reader would read it for ever.
            raise ValidationError(f"{path} is neither a folder nor a zip file.")
        else:
            try:
                self._zip = zipfile.ZipFile(path)
            except (zipfile.BadZipFile, OSError) as exc:
                raise ValidationError(
                    f"{path.name} is neither a folder nor a zip file ({exc})."
                ) from None
            members = [m for m in self._zip.namelist() if m.endswith(".js")]
            account = [m for m in members if PurePosixPath(m).name == "account.js"]
            prefix = str(PurePosixPath(account[0]).parent) if account else "data"
            self._names = {
                PurePosixPath(m).name: m for m in members if str(PurePosixPath(m).parent) == prefix
            }
        if "account.js" not in self._names:
            raise ValidationError(
                f"{path} is not an X archive: it has no data/account.js. Use the folder or .zip "
                "from X's 'Download an archive of your data'."
            )

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()

    def matching(self, pattern: re.Pattern[str]) -> list[str]:
        return sorted(n for n in self._names if pattern.match(n))

    def read(self, name: str) -> list[Any]:
        """The array a ``window.YTD.<name>.partN = [...]`` file assigns."""
        where = self._names[name]
        size = (
            self._zip.getinfo(where).file_size
            if self._zip is not None
            else Path(where).stat().st_size
        )
        if size > MAX_FILE_BYTES:
            raise ValidationError(
                f"{name} in the archive is {size // 1_000_000:,} MB; the CRM reads files of "
                f"up to {MAX_FILE_BYTES // 1_000_000:,} MB."
            )
        try:
            raw = self._zip.read(where) if self._zip is not None else _read_at_most(Path(where))
        except (OSError, zipfile.BadZipFile, KeyError) as exc:
            raise ValidationError(f"Cannot read {name} from the archive ({exc}).") from None
        if len(raw) > MAX_FILE_BYTES:  # a file that grew, or a device behind a link
            raise ValidationError(
                f"{name} in the archive is over {MAX_FILE_BYTES // 1_000_000:,} MB; the CRM "
                "reads files up to that size."
            )
        text = raw.decode("utf-8-sig", errors="replace")
        match = _YTD.match(text)
        if match is None:
            raise ValidationError(f"{name} is not in X's archive format (window.YTD...).")
        body = text[match.end() :].strip().rstrip(";")
        try:
            value = json.loads(body)
        except ValueError as exc:
            raise ValidationError(f"{name} in the archive is damaged: {exc}.") from None
        if not isinstance(value, list):
            raise ValidationError(f"{name} in the archive does not hold a list.")
        return value


def _read_at_most(path: Path) -> bytes:
    """The file's bytes, but no more than one past the size limit, whatever it is."""
    if not path.is_file():  # a link to /dev/zero, a pipe
        raise ValidationError(f"{path.name} in the archive is not a regular file.")
    with open(path, "rb") as fh:
        return fh.read(MAX_FILE_BYTES + 1)


# --------------------------------------------------------------------------- parsing


def _archive_time(text: str) -> datetime:
    """X's archive dates: ``Wed Mar 13 10:00:00 +0000 2024`` (tweets) or ISO (DMs).

    Parsed by hand: ``strptime``'s ``%a``/``%b`` follow the user's locale.
    """
    text = str(text).strip()
    parts = text.split()
    if len(parts) == 6 and parts[1] in _MONTHS:
        hours, minutes, seconds = (int(p) for p in parts[3].split(":"))
        offset = parts[4]
        moment = datetime.fromisoformat(
            f"{parts[5]}-{_MONTHS[parts[1]]:02d}-{int(parts[2]):02d}T"
            f"{hours:02d}:{minutes:02d}:{seconds:02d}{offset[:3]}:{offset[3:]}"
        )
        return moment.astimezone(UTC)
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def _int(value: Any) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


@dataclass(frozen=True)
class _ArchiveTweet:
    tweet: XTweet
    mention_names: tuple[str, ...]  # lower-case screen names
    reply_to_name: str | None
    is_retweet: bool


def _edit_ids(raw: Mapping[str, Any]) -> tuple[int, ...]:
    initial = (raw.get("edit_info") or {}).get("initial") or {}
    ids = (_int(x) for x in initial.get("editTweetIds") or [])
    return tuple(i for i in ids if i is not None)


def _parse_tweet(entry: Mapping[str, Any], own_id: int) -> _ArchiveTweet:
    raw = entry.get("tweet", entry)
    tweet_id = _int(raw.get("id_str") or raw.get("id"))
    if tweet_id is None:
        raise ValueError("tweet without an id")
    mentions = (raw.get("entities") or {}).get("user_mentions") or []
    mentioned: list[int] = []
    for m in mentions:
        uid = _int(m.get("id_str") or m.get("id"))
        if uid is not None and uid not in mentioned:
            mentioned.append(uid)
    text = str(raw.get("full_text") or raw.get("text") or "")
    reply_to_user = _int(raw.get("in_reply_to_user_id_str") or raw.get("in_reply_to_user_id"))
    reply_to = _int(raw.get("in_reply_to_status_id_str") or raw.get("in_reply_to_status_id"))
    quoted = _int(raw.get("quoted_status_id_str") or raw.get("quoted_status_id"))
    tweet = XTweet(
        id=tweet_id,
        author_id=own_id,
        text=text,
        created_at=_archive_time(raw["created_at"]),
        conversation_id=None,
        in_reply_to_user_id=reply_to_user,
        replied_to_id=reply_to,
        quoted_id=quoted,
        retweeted_id=None,  # archives keep only the "RT @name: ..." text
        mentioned_user_ids=tuple(mentioned),
        edit_history_ids=_edit_ids(raw),
        metrics={
            "like_count": _int(raw.get("favorite_count")) or 0,
            "retweet_count": _int(raw.get("retweet_count")) or 0,
        },
        raw=dict(raw),
    )
    return _ArchiveTweet(
        tweet=tweet,
        mention_names=tuple(str(m.get("screen_name", "")).lower() for m in mentions),
        reply_to_name=(str(raw["in_reply_to_screen_name"]).lower())
        if raw.get("in_reply_to_screen_name")
        else None,
        is_retweet=text.startswith("RT @"),
    )


@dataclass(frozen=True)
class _Message:
    id: int
    conversation: str
    sender: int
    recipient: int
    text: str
    at: datetime


def _parse_messages(entries: list[Any]) -> Iterator[_Message]:
    for entry in entries:
        conversation = (entry or {}).get("dmConversation") or {}
        conversation_id = str(conversation.get("conversationId", ""))
        for item in conversation.get("messages") or []:
            message = (item or {}).get("messageCreate")
            if not message:
                continue  # reactions, joins and other events carry no text to log
            sender = _int(message.get("senderId"))
            recipient = _int(message.get("recipientId"))
            message_id = _int(message.get("id"))
            if sender is None or recipient is None or message_id is None:
                continue
            yield _Message(
                id=message_id,
                conversation=conversation_id,
                sender=sender,
                recipient=recipient,
                text=str(message.get("text") or ""),
                at=_archive_time(message["createdAt"]),
            )


# --------------------------------------------------------------------------- importing


@dataclass
class _People:
    """Linked people, by X user id and by lower-case handle (unverified links have no id)."""

    by_id: dict[int, Person]
    by_handle: dict[str, Person]

    @classmethod
    def load(cls, session: Session) -> _People:
        by_id: dict[int, Person] = {}
        by_handle: dict[str, Person] = {}
        rows = session.execute(
            select(Person, XAccount).join(XAccount, XAccount.id == Person.x_account_id)
        )
        for person, account in rows:
            if account.x_user_id is not None:
                by_id[account.x_user_id] = person
            by_handle[account.handle.lower()] = person
        return cls(by_id, by_handle)

    def handle_of(self, person: Person) -> str:
        return person.x_account.handle if person.x_account is not None else person.display_name


def _own_account_for(session: Session, user_id: int, username: str, display: str) -> XAccount:
    """The XAccount of the archive's owner, made the user's own account if none is set yet."""
    account = session.scalars(select(XAccount).where(XAccount.x_user_id == user_id)).first()
    by_handle = session.scalars(
        select(XAccount).where(func.lower(XAccount.handle) == username.lower())
    ).first()
    if account is None and by_handle is not None and by_handle.x_user_id in (None, user_id):
        account = by_handle
    if account is None:
        account = XAccount(
            handle="~new" if by_handle is not None else username,
            status=XAccountStatus.OK.value,
        )
        session.add(account)
    account.x_user_id = user_id
    if account.status == XAccountStatus.UNVERIFIED.value:
        account.status = XAccountStatus.OK.value
    account.display_name = account.display_name or (display[:100] or None)
    session.flush()
    if account.handle != username:
        refused = rename_accounts(session, [(account, username)])
        if account.id in refused:
            raise ValidationError(refused[account.id])
    current = own_account(session)
    if current is not None and current.id != account.id:
        raise ValidationError(
            f"This archive belongs to @{username}, but your own X account is set to "
            f"@{current.handle}. Change it in the X settings first if the archive is yours."
        )
    if current is None:
        from crm import settings

        name = settings.current_user()
        me = session.scalars(select(User).where(User.name == name)).first()
        if me is None:
            me = User(name=name)
            session.add(me)
        me.x_account = account
    return account


def import_archive(
    db: Database, path: str | Path, progress: Progress | None = None
) -> ArchiveReport:
    """Import an X archive folder or .zip; see the module docstring. One transaction."""
    report_progress = progress or (lambda _d, _t, _s: None)
    files = _ArchiveFiles(Path(path).expanduser())
    try:
        report_progress(0, 3, "Reading the archive")
        account_entries = files.read("account.js")
        try:
            info = account_entries[0]["account"]
            own_id = int(info["accountId"])
            username = str(info["username"])
        except (IndexError, KeyError, TypeError, ValueError):
            raise ValidationError("account.js in the archive does not say whose it is.") from None
        tweets: dict[int, _ArchiveTweet] = {}
        bad = 0
        for name in files.matching(_TWEET_FILES):
            for entry in files.read(name):
                try:
                    parsed = _parse_tweet(entry, own_id)
                except (KeyError, TypeError, ValueError, AttributeError):
                    bad += 1
                    continue
                tweets.setdefault(parsed.tweet.id, parsed)
        messages: list[_Message] = []
        for name in files.matching(_DM_FILES):
            messages.extend(_parse_messages(files.read(name)))
        group_conversations = sum(len(files.read(name)) for name in files.matching(_GROUP_DM_FILES))
    finally:
        files.close()

    report_progress(1, 3, f"Storing {len(tweets)} tweets")
    with db.session() as session:
        account = _own_account_for(
            session, own_id, username, str(info.get("accountDisplayName", ""))
        )
        account_id = account.id
        tweets_new = store_tweets(
            session, (t.tweet for t in tweets.values()), lambda _t: account_id
        )
        if tweets:
            # The archive holds every tweet up to its newest, so the next sync need only ask
            # for newer ones.
            newest = max(tweets)
            if newest > (account.newest_tweet_id or 0):
                account.newest_tweet_id = newest

        report_progress(2, 3, "Logging tweets and DMs with linked people")
        people = _People.load(session)
        logged_refs = set(
            session.scalars(
                select(Interaction.source_ref).where(Interaction.source_ref.like("x:%"))
            )
        )
        matched: Counter[str] = Counter()
        skipped: Counter[str] = Counter()
        already = 0
        tweet_count = 0
        for item in sorted(tweets.values(), key=lambda t: t.tweet.created_at):
            tweet = item.tweet
            if item.is_retweet:
                skipped["retweets"] += 1
                continue
            found: dict[int, Person] = {}
            for uid in (*tweet.mentioned_user_ids, tweet.in_reply_to_user_id):
                if uid is not None and uid != own_id and uid in people.by_id:
                    found.setdefault(people.by_id[uid].id, people.by_id[uid])
            for handle in (*item.mention_names, item.reply_to_name):
                if handle and handle != username.lower() and handle in people.by_handle:
                    found.setdefault(people.by_handle[handle].id, people.by_handle[handle])
            if not found:
                skipped["tweets that mention or reply to no linked person"] += 1
                continue
            ref = TWEET_REF.format(tweet.id)
            if ref in logged_refs:
                already += 1
                continue
            targets = list(found.values())
            handles = ", ".join("@" + people.handle_of(p) for p in targets)
            verb = "Reply to" if tweet.replied_to_id else "Tweet to"
            new_x_interaction(
                session,
                kind=InteractionKind.TWEET,
                direction=Direction.OUTBOUND,
                occurred_at=tweet.created_at,
                summary=f"{verb} {handles}: {tweet.text}",
                body=f"{tweet.text}\n\nhttps://x.com/{username}/status/{tweet.id}",
                people=targets,
                source_ref=ref,
            )
            logged_refs.add(ref)
            tweet_count += 1
            for p in targets:
                matched[p.display_name] += 1

        dm_count = 0
        days: dict[tuple[str, str], list[_Message]] = {}
        for message in messages:
            days.setdefault((message.conversation, message.at.date().isoformat()), []).append(
                message
            )
        unlinked_conversations: set[str] = set()
        for (conversation, day), day_messages in sorted(days.items(), key=lambda kv: kv[0][1]):
            day_messages.sort(key=lambda m: (m.at, m.id))
            first = day_messages[0]
            other = first.recipient if first.sender == own_id else first.sender
            person = people.by_id.get(other)
            if person is None:
                unlinked_conversations.add(conversation)
                continue
            ref = DM_REF.format(conversation, day)[:100]
            if ref in logged_refs:
                already += 1
                continue
            them = people.handle_of(person)
            lines = [
                f"{m.at:%H:%M} {'You' if m.sender == own_id else '@' + them}: {m.text}"
                for m in day_messages
            ]
            new_x_interaction(
                session,
                kind=InteractionKind.DM,
                direction=Direction.OUTBOUND if first.sender == own_id else Direction.INBOUND,
                occurred_at=first.at,
                summary=f"DM with @{them}: {first.text}",
                body="\n".join(lines),
                people=[person],
                source_ref=ref,
            )
            logged_refs.add(ref)
            dm_count += 1
            matched[person.display_name] += 1
        skipped["DM conversations with people who are not linked"] = len(unlinked_conversations)
        skipped["group DM conversations (not imported)"] = group_conversations
        skipped["tweets the CRM could not read"] = bad
        audit.record(
            session,
            "x_account",
            account_id,
            "import_archive",
            {
                "tweets_new": tweets_new,
                "tweet_interactions": tweet_count,
                "dm_interactions": dm_count,
            },
        )
    report = ArchiveReport(
        handle=username,
        tweets_found=len(tweets),
        tweets_new=tweets_new,
        tweet_interactions=tweet_count,
        dm_interactions=dm_count,
        already_logged=already,
        matched=tuple(sorted(matched.items())),
        skipped=tuple((reason, n) for reason, n in skipped.items() if n),
    )
    report_progress(3, 3, "Archive imported")
    log.info("Imported the X archive of @%s: %s", username, "; ".join(report.lines()))
    return report
