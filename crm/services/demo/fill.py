"""Filling a database with the demo: organisations, people, placements, interactions, X
accounts and their posts, then the assignments and social figures, in one transaction."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, insert, select

from crm import settings
from crm.domain.enums import (
    ClientStatus,
    ConsentStatus,
    Direction,
    InteractionKind,
    IR35Determination,
    LawfulBasis,
    PlacementStatus,
    Sector,
    XAccountStatus,
)
from crm.domain.errors import ValidationError
from crm.domain.values import XHandle, fold
from crm.services import audit
from crm.services.demo.assignments import add_demo_assignments
from crm.services.demo.data import (
    CLIENT_TITLES,
    ED,
    FIRST_NAMES,
    HO,
    INTERIM_ROLES,
    LAST_NAMES,
    LG,
    NEW_BIOS,
    ORGANISATIONS,
    SECTOR_TWEETS,
    SPECIALISMS,
    SUMMARIES,
    TAGS,
    TODAY_FOLLOW_UPS,
    TWEETS,
    H,
)
from crm.services.demo.social import add_social_demo, add_usage_demo
from crm.storage.db import Database
from crm.storage.models import (
    Employment,
    Extension,
    FollowerSnapshot,
    Interaction,
    Organisation,
    Person,
    PersonEmail,
    PersonPhone,
    Placement,
    PlacementNote,
    Tag,
    Tweet,
    TweetMention,
    User,
    XAccount,
)
from crm.storage.search import sort_name

RUNNING = {
    PlacementStatus.CONFIRMED.value,
    PlacementStatus.ACTIVE.value,
    PlacementStatus.EXTENDED.value,
}


def fill_demo(
    db: Database,
    *,
    force: bool = False,
    seed: int = 7,
    progress: Callable[[str], None] | None = None,
) -> dict[str, int]:
    """Fill the database with sample data in one transaction; refuse a non-empty one."""
    rng = random.Random(seed)
    now = datetime.now(UTC).replace(microsecond=0)
    today = now.date()
    with db.session() as session:
        existing = session.scalar(select(func.count()).select_from(Person)) or 0
        existing += session.scalar(select(func.count()).select_from(Organisation)) or 0
        if existing and not force:
            raise ValidationError(
                "This database already has data; the demo only fills an empty one "
                "(use --force to add it anyway)."
            )
        report = progress or (lambda _msg: None)
        report("Organisations")
        tags = {name: Tag(name=name) for name in TAGS}
        existing_tags = {t.name: t for t in session.scalars(select(Tag))}
        for name in TAGS:
            tags[name] = existing_tags.get(name) or tags[name]
        session.add_all(t for t in tags.values() if t.id is None)

        accounts: list[XAccount] = []
        next_user_id = 1_000_000_000 + rng.randrange(10_000) * 1000

        def account(handle: str, name: str, bio: str, followers: int) -> XAccount:
            nonlocal next_user_id
            next_user_id += rng.randrange(1, 500)
            acct = XAccount(
                x_user_id=next_user_id,
                handle=XHandle.parse(handle).value,
                display_name=name,
                bio=bio,
                followers_count=followers,
                following_count=rng.randrange(80, 2500),
                tweet_count=rng.randrange(300, 25000),
                status=XAccountStatus.OK.value,
                verified=followers > 20000,
                x_created_at=now - timedelta(days=rng.randrange(900, 5000)),
                last_synced_at=now - timedelta(hours=rng.randrange(1, 72)),
                watched=followers > 5000,
            )
            accounts.append(acct)
            return acct

        own = account(
            "InterimLinkUK",
            "InterimLink Recruitment",
            "Interim leaders for the UK public sector.",
            4200,
        )
        me = session.scalars(select(User).where(User.name == settings.current_user())).first()
        if me is None:
            me = session.scalars(select(User).where(User.name == settings.current_user())).first()
        if me is None:
            session.add(User(name=settings.current_user(), x_account=own))
        elif me.x_account_id is None or me.x_account_id is None:
            me.x_account = own

        orgs: list[tuple[Organisation, Sector, str]] = []
        for name, sector, org_type, region, domain, handle, code in ORGANISATIONS:
            org = Organisation(
                name=name,
                sector=sector.value,
                org_type=org_type.value,
                region=region,
                website=f"https://www.{domain}",
                ods_code=code if code and sector == H else None,
                gss_code=code if code and sector != H else None,
                client_status=rng.choice(
                    [
                        ClientStatus.CLIENT,
                        ClientStatus.CLIENT,
                        ClientStatus.PROSPECT,
                        ClientStatus.FORMER_CLIENT,
                    ]
                ).value,
                owner=settings.current_user(),
                notes=f"Framework: {rng.choice(['HTE', 'NHS SBS', 'ESPO', 'YPO', 'none'])}.",
            )
            org.tags = rng.sample(
                [tags["board-level"], tags["hot"], tags["referral"]], k=rng.randrange(0, 2)
            )
            if handle:
                org.x_account = account(
                    handle, name, f"Official account of {name}.", rng.randrange(3000, 90000)
                )
            session.add(org)
            orgs.append((org, sector, domain))
        session.flush()

        report("People")
        people: list[Person] = []
        candidates: list[Person] = []
        used_names: set[tuple[str, str]] = set()

        def new_person(i: int) -> Person:
            while True:
                first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
                if (first, last) not in used_names:
                    used_names.add((first, last))
                    break
            return Person(
                first_name=first,
                last_name=last,
                sort_name=sort_name(first, last),
                lawful_basis=LawfulBasis.LEGITIMATE_INTERESTS.value,
                consent_status=ConsentStatus.NONE.value,
                owner=settings.current_user(),
            )

        def handle_for(person: Person) -> str:
            base = fold(person.first_name + person.last_name)
            base = "".join(ch for ch in base if ch.isalnum())[:12]
            return f"{base}{rng.randrange(10, 99)}"

        # Client contacts: five per organisation.
        for org, sector, domain in orgs:
            for k in range(5):
                person = new_person(len(people))
                title = CLIENT_TITLES[sector][k % len(CLIENT_TITLES[sector])]
                person.job_title = title
                person.is_client_contact = True
                local = fold(f"{person.first_name}.{person.last_name}").replace(" ", "")
                local = "".join(ch for ch in local if ch.isalnum() or ch == ".")
                person.emails = [PersonEmail(email=f"{local}@{domain}", label="work")]
                person.phones = [
                    PersonPhone(
                        number=f"+447{rng.randrange(400, 999)}{rng.randrange(100000, 999999)}",
                        label="mobile",
                    )
                ]
                person.employments = [
                    Employment(
                        organisation=org,
                        title=title,
                        start_date=today - timedelta(days=rng.randrange(200, 3000)),
                    )
                ]
                person.location = org.region
                if rng.random() < 0.45:
                    person.x_account = account(
                        handle_for(person),
                        f"{person.first_name} {person.last_name}",
                        f"{title} at {org.name}. Views my own.",
                        rng.randrange(150, 12000),
                    )
                if rng.random() < 0.3:
                    person.tags = [tags["board-level"]]
                people.append(person)
        # Interim candidates: a hundred, most with a past employer among the clients.
        for _ in range(100):
            person = new_person(len(people))
            sector = rng.choice([H, HO, LG, ED])
            person.is_candidate = True
            person.is_client_contact = rng.random() < 0.1
            person.job_title = rng.choice(INTERIM_ROLES[sector]).replace("Interim ", "")
            person.available_from = today + timedelta(days=rng.randrange(-30, 150))
            person.day_rate_expectation = Decimal(rng.randrange(45, 140) * 10)
            person.specialisms = ", ".join(rng.sample(SPECIALISMS, 3))
            person.candidate_sectors = sector.value
            person.willing_to_travel = rng.random() < 0.6
            person.ir35_preference = rng.choice(["inside", "outside", "either"])
            local = fold(f"{person.first_name}{person.last_name}").replace(" ", "")
            local = "".join(ch for ch in local if ch.isalnum())
            person.emails = [
                PersonEmail(
                    email=f"{local}@{rng.choice(['gmail.com', 'outlook.com', 'proton.me'])}",
                    label="personal",
                )
            ]
            person.phones = [
                PersonPhone(
                    number=f"+447{rng.randrange(400, 999)}{rng.randrange(100000, 999999)}",
                    label="mobile",
                )
            ]
            person.location = rng.choice(
                [
                    "Leeds",
                    "Bristol",
                    "Manchester",
                    "London",
                    "Cardiff",
                    "Newcastle",
                    "Nottingham",
                    "Brighton",
                    "Glasgow",
                ]
            )
            past_org = rng.choice([o for o, s, _ in orgs if s == sector])
            start = today - timedelta(days=rng.randrange(1500, 4000))
            person.employments = [
                Employment(
                    organisation=past_org,
                    title=person.job_title,
                    start_date=start,
                    end_date=start + timedelta(days=rng.randrange(300, 1200)),
                )
            ]
            person.tags = rng.sample(
                [
                    tags["shortlist"],
                    tags["NED"],
                    tags["returner"],
                    tags["IR35-out"],
                    tags["referral"],
                ],
                k=rng.randrange(0, 3),
            )
            person.notes = rng.choice(
                [
                    "Strong on board reporting; prefers assignments within two hours of home.",
                    "Led a CQC 'requires improvement' to 'good' turnaround in 18 months.",
                    "Available for three-day weeks. Has a clear DBS.",
                    "Ex-FD; happy with inside IR35 roles at a higher rate.",
                ]
            )
            if rng.random() < 0.5:
                person.x_account = account(
                    handle_for(person),
                    f"{person.first_name} {person.last_name}",
                    f"Interim {person.job_title}. {person.specialisms}.",
                    rng.randrange(80, 6000),
                )
            people.append(person)
            candidates.append(person)
        one_erased = people[3]
        one_erased.do_not_contact = True
        one_erased.notes = "Asked not to be contacted by agencies (email of 3 March)."
        session.add_all(people)
        session.flush()

        report("Placements")
        placements: list[Placement] = []
        for k in range(60):
            candidate = candidates[k % len(candidates)] if k < 60 else rng.choice(candidates)
            org, sector, _ = rng.choice(orgs)
            start = today - timedelta(days=rng.randrange(-40, 700))
            weeks = rng.choice([12, 16, 26, 39, 52])
            end = start + timedelta(weeks=weeks)
            if end < today:
                status = rng.choice(
                    [PlacementStatus.ENDED, PlacementStatus.ENDED, PlacementStatus.CANCELLED]
                )
            elif start > today:
                status = rng.choice([PlacementStatus.PROPOSED, PlacementStatus.CONFIRMED])
            else:
                status = PlacementStatus.ACTIVE
            contact = next(
                p for p in people if p.employments and p.employments[0].organisation is org
            )
            placement = Placement(
                candidate=candidate,
                organisation=org,
                client_contact=contact,
                role=rng.choice(INTERIM_ROLES[sector]),
                status=status.value,
                charge_rate=Decimal(rng.randrange(50, 130) * 10),
                currency="GBP",
                start_date=start,
                end_date=end,
                ir35=rng.choice(list(IR35Determination)).value,
            )
            if status in (PlacementStatus.ACTIVE, PlacementStatus.ENDED) and rng.random() < 0.4:
                new_end = end + timedelta(weeks=rng.choice([4, 8, 12]))
                placement.extensions = [
                    Extension(
                        previous_end_date=end,
                        new_end_date=new_end,
                        day_rate=placement.charge_rate,
                        reason="Client extended to cover the restructure.",
                        created_by=settings.current_user(),
                        created_at=datetime.combine(
                            end - timedelta(days=20), datetime.min.time(), tzinfo=UTC
                        ),
                    )
                ]
                placement.end_date = new_end
                if status == PlacementStatus.ACTIVE:
                    placement.status = PlacementStatus.EXTENDED.value
            placement.notes = [
                PlacementNote(
                    text=text,
                    author=settings.current_user(),
                    created_at=datetime.combine(start, datetime.min.time(), tzinfo=UTC)
                    + timedelta(days=d, hours=10),
                )
                for d, text in (
                    (2, "Induction went well; access badges sorted on day one."),
                    (30, "Month-one check-in: client very happy, asked about extension."),
                )
                if datetime.combine(start, datetime.min.time(), tzinfo=UTC) + timedelta(days=d)
                < now
            ]
            session.add(placement)
            placements.append(placement)
            if placement.status in RUNNING:
                # Whoever has an interim placed with them now is a client, not a prospect.
                org.client_status = ClientStatus.CLIENT.value
        session.flush()

        report("Assignments")
        # Its own random stream, so the rest of the demo comes out as it did without it.
        assignments = add_demo_assignments(
            session, random.Random(seed + 15), orgs, candidates, placements, today
        )
        session.flush()

        report("Interactions")
        kinds = [k.value for k in InteractionKind]
        weights = [30, 12, 10, 20, 4, 4, 3, 4, 6]
        for _ in range(2000):
            kind = rng.choices(kinds, weights)[0]
            person = rng.choice(people)
            at_org: Organisation | None = (
                person.employments[0].organisation if person.employments else None
            )
            role = rng.choice(INTERIM_ROLES[H])
            summary = rng.choice(SUMMARIES[kind]).format(
                role=role,
                org=at_org.name if at_org else "the trust",
                month=rng.choice(["January", "March", "June", "September"]),
            )
            # Two years of history, most of it recent, as a recruiter who keeps in touch has:
            # about one person in six is past their keep-in-touch cadence, not two in three.
            days_ago = int(720 * rng.random() ** 2)
            occurred = now - timedelta(days=days_ago, minutes=rng.randrange(0, 600))
            interaction = Interaction(
                kind=kind,
                direction=None if kind == "note" else rng.choice(["in", "out", "out"]),
                occurred_at=occurred,
                summary=summary,
                body=rng.choice(
                    [
                        None,
                        None,
                        "Follow up with the job description and budget sign-off.",
                        "They mentioned a restructure in Q2; worth a call in a month.",
                    ]
                ),
                logged_by=settings.current_user(),
                organisation=at_org,
                follow_up_due=(today + timedelta(days=rng.randrange(-10, 30)))
                if rng.random() < 0.08
                else None,
            )
            if person.do_not_contact and interaction.direction == Direction.OUTBOUND.value:
                interaction.direction = Direction.INBOUND.value
            interaction.people = [person] + ([rng.choice(people)] if rng.random() < 0.05 else [])
            session.add(interaction)
        session.flush()

        report("Tweets")
        tweet_rows: list[dict[str, Any]] = []
        mention_rows: list[dict[str, Any]] = []
        tweet_id = 1_850_000_000_000_000_000 + rng.randrange(10**12)
        handles = [a.handle for a in accounts]
        sector_of: dict[int, Sector] = {}  # by id() of the account: an organisation's sector
        for org, sector, _domain in orgs:
            if org.x_account is not None:
                sector_of[id(org.x_account)] = sector
        org_sector = {id(org): sector for org, sector, _domain in orgs}
        for person in people:
            if person.x_account is not None and person.employments:
                where = org_sector.get(id(person.employments[0].organisation))
                if where is not None:
                    sector_of[id(person.x_account)] = where
        for acct in accounts:
            choices = TWEETS + SECTOR_TWEETS.get(sector_of.get(id(acct), Sector.OTHER), [])
            count = rng.randrange(8, 40)
            newest = 0
            for _k in range(count):
                tweet_id += rng.randrange(10**9, 10**11)
                created = now - timedelta(
                    days=rng.randrange(0, 400), minutes=rng.randrange(0, 1440)
                )
                other = rng.choice(handles)
                text = rng.choice(choices).format(url="https://example.org/news", other=other)
                tweet_rows.append(
                    {
                        "id": tweet_id,
                        "account_id": acct.id,
                        "author_x_user_id": acct.x_user_id,
                        "text": text,
                        "created_at": created,
                        "conversation_id": tweet_id,
                        "mentioned_user_ids": [],
                        "like_count": rng.randrange(0, 400),
                        "retweet_count": rng.randrange(0, 80),
                        "reply_count": rng.randrange(0, 30),
                        "quote_count": rng.randrange(0, 10),
                        "raw": {
                            "id": str(tweet_id),
                            "text": text,
                            "edit_history_tweet_ids": [str(tweet_id)],
                        },
                    }
                )
                newest = max(newest, tweet_id)
            acct.newest_tweet_id = newest or None
        # The agency's own account mentions some of its contacts.
        linked = [p for p in people if p.x_account is not None]
        for person in rng.sample(linked, min(25, len(linked))):
            assert person.x_account is not None
            tweet_id += rng.randrange(10**9, 10**11)
            text = f"Great to catch up with @{person.x_account.handle} about interim leadership in the sector."
            tweet_rows.append(
                {
                    "id": tweet_id,
                    "account_id": own.id,
                    "author_x_user_id": own.x_user_id,
                    "text": text,
                    "created_at": now - timedelta(days=rng.randrange(0, 200)),
                    "conversation_id": tweet_id,
                    "mentioned_user_ids": [person.x_account.x_user_id],
                    "like_count": rng.randrange(0, 50),
                    "retweet_count": 0,
                    "reply_count": 0,
                    "quote_count": 0,
                    "raw": {"id": str(tweet_id), "text": text},
                }
            )
            mention_rows.append({"tweet_id": tweet_id, "x_user_id": person.x_account.x_user_id})
        session.execute(insert(Tweet), tweet_rows)
        if mention_rows:
            session.execute(insert(TweetMention), mention_rows)

        report("Follower history")
        snapshots = []
        for acct in accounts:
            followers = acct.followers_count or 0
            for week in range(26, -1, -1):
                noise = rng.randrange(-20, 20)
                # The newest point is the count the header shows: the two must agree.
                drift = int(followers * (1 - 0.004 * week) + (noise if week else 0))
                snapshots.append(
                    {
                        "account_id": acct.id,
                        "taken_at": now - timedelta(weeks=week),
                        "followers": max(drift, 0),
                        "following": acct.following_count or 0,
                        "tweets": (acct.tweet_count or 0) - week * 5,
                    }
                )
        session.execute(insert(FollowerSnapshot), snapshots)
        report("Today")
        _today_demo(session, rng, now, people, placements, tags, tweet_id)
        report("Bluesky")
        social = add_social_demo(
            session, random.Random(seed + 1), now, [(o, d) for o, _s, d in orgs], people
        )
        social.update(add_usage_demo(session, now))
        audit.record(session, "database", None, "demo", {"seed": seed})
        counts = {
            "organisations": len(orgs),
            "people": len(people),
            "placements": len(placements),
            "assignments": assignments,
            "interactions": 2000,
            "X accounts": len(accounts),
            "tweets": len(tweet_rows),
            **social,
        }
    return counts


def _today_demo(
    session: Any,
    rng: random.Random,
    now: datetime,
    people: list[Person],
    placements: list[Placement],
    tags: dict[str, Tag],
    tweet_id: int,
) -> None:
    today = now.date()
    # Follow-ups: one is never due before it was logged, and a recruiter who keeps up has
    # ticked off most of the old ones.
    for interaction in session.scalars(
        select(Interaction).where(Interaction.follow_up_due.is_not(None))
    ):
        logged = interaction.occurred_at.date()
        if interaction.follow_up_due < logged:
            interaction.follow_up_due = logged + timedelta(days=rng.choice([3, 7, 14]))
        if interaction.follow_up_due < today - timedelta(days=2) and rng.random() < 0.85:
            interaction.follow_up_done = True
    clients = [p for p in people if p.is_client_contact and not p.do_not_contact]
    for (days, summary), person in zip(
        TODAY_FOLLOW_UPS, rng.sample(clients, len(TODAY_FOLLOW_UPS)), strict=True
    ):
        at_org = person.employments[0].organisation if person.employments else None
        when = now - timedelta(days=rng.randrange(5, 20), hours=rng.randrange(0, 6))
        follow_up = Interaction(
            kind=InteractionKind.CALL.value,
            direction=Direction.OUTBOUND.value,
            occurred_at=when,
            summary=summary,
            logged_by=settings.current_user(),
            organisation=at_org,
            follow_up_due=today + timedelta(days=days),
        )
        follow_up.people = [person]
        session.add(follow_up)
    # Endings: the second of those ending soonest has its next role proposed already.
    ending = sorted(
        (
            p
            for p in placements
            if p.status in ("active", "extended", "confirmed")
            and p.end_date is not None
            and today <= p.end_date <= today + timedelta(weeks=8)
        ),
        key=lambda p: p.end_date or today,
    )
    for placement in ending[1:2]:
        assert placement.end_date is not None
        other = next(p for p in placements if p.organisation is not placement.organisation)
        session.add(
            Placement(
                candidate=placement.candidate,
                organisation=other.organisation,
                client_contact=other.client_contact,
                role=placement.role,
                status=PlacementStatus.PROPOSED.value,
                charge_rate=placement.charge_rate,
                pay_rate=placement.pay_rate,
                currency="GBP",
                start_date=placement.end_date + timedelta(days=7),
                end_date=placement.end_date + timedelta(weeks=27),
                ir35=IR35Determination.UNDETERMINED.value,
            )
        )
    # Cadences: board-level contacts every 3 weeks, and one client every fortnight.
    tags["board-level"].contact_every_weeks = 3
    clients[0].contact_every_weeks = 2
    # X: some linked contacts tweeted this morning, three changed their bio (a new role shows
    # there first), two gained or lost followers well beyond their usual weekly drift.
    linked = [p for p in people if p.x_account is not None and not p.do_not_contact]
    chosen = rng.sample(linked, min(12, len(linked)))
    rows: list[dict[str, Any]] = []
    for person in chosen[:6]:
        account = person.x_account
        assert account is not None
        for _ in range(rng.randrange(1, 4)):
            tweet_id += rng.randrange(10**9, 10**11)
            text = rng.choice(TWEETS).format(url="https://example.org/news", other=account.handle)
            rows.append(
                {
                    "id": tweet_id,
                    "account_id": account.id,
                    "author_x_user_id": account.x_user_id,
                    "text": text,
                    "created_at": now - timedelta(minutes=rng.randrange(20, 600)),
                    "conversation_id": tweet_id,
                    "mentioned_user_ids": [],
                    "raw": {"id": str(tweet_id), "text": text},
                }
            )
        account.newest_tweet_id = tweet_id
    session.execute(insert(Tweet), rows)
    for person, bio in zip(chosen[6:9], NEW_BIOS, strict=False):
        account = person.x_account
        assert account is not None
        audit.record(session, "x_account", account.id, "profile", {"bio": [account.bio, bio]})
        account.bio = bio
    for person, factor in zip(chosen[9:11], (1.12, 0.9), strict=False):
        account = person.x_account
        assert account is not None
        newest = session.scalars(
            select(FollowerSnapshot)
            .where(FollowerSnapshot.account_id == account.id)
            .order_by(FollowerSnapshot.taken_at.desc())
            .limit(1)
        ).one()
        newest.followers = int(newest.followers * factor) + (60 if factor > 1 else -60)
        account.followers_count = newest.followers
