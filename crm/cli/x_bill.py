"""``crm x usage``, ``crm x plan`` and ``crm x cadence``: what X reads cost, the plan and its
prices, and how often each watched account is read."""

from __future__ import annotations

import argparse
from typing import Any

from crm.cli import open_db
from crm.cli.output import print_json, print_table
from crm.cli.social import add_target_kind, linked_x_account


def register_bill(xs: Any) -> None:
    p = xs.add_parser(
        "usage",
        help="this month's X reads and their cost, by kind and by day, against the budget",
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=x_usage)

    p = xs.add_parser(
        "plan",
        help="show or set the X plan, its prices, the pound rate and the monthly budget",
        description="The X API plan the developer account is on. Pay-per-use bills each "
        "resource read once per UTC day (defaults: X's published prices); a legacy Basic/Pro "
        "plan has a monthly fee and a cap on posts read. Costs show in USD with the pound "
        "equivalent at --gbp-rate.",
    )
    group = p.add_mutually_exclusive_group()
    group.add_argument("--pay-per-use", action="store_const", const="pay_per_use", dest="plan")
    group.add_argument("--legacy", action="store_const", const="legacy", dest="plan")
    for kind in ("post", "user", "follow", "owned"):
        p.add_argument(f"--price-{kind}", metavar="USD", help=f"USD per {kind} read")
    p.add_argument("--legacy-fee", metavar="USD", help="the legacy plan's monthly fee")
    p.add_argument("--legacy-cap", type=int, metavar="POSTS", help="posts a month it reads")
    p.add_argument("--gbp-rate", metavar="GBP", help="pounds to the dollar (e.g. 0.79)")
    p.add_argument("--budget", metavar="USD", help="monthly budget in USD (0: none)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=x_plan)

    p = xs.add_parser(
        "cadence",
        help="how often a scheduled sync reads an account: daily, weekly, monthly or default",
    )
    p.add_argument("target", metavar="PERSON|ORG")
    p.add_argument(
        "cadence", nargs="?", choices=("daily", "weekly", "monthly", "default"), metavar="TIER"
    )
    add_target_kind(p)
    p.set_defaults(handler=x_cadence)


def x_usage(args: argparse.Namespace) -> int:
    from crm.domain.xcost import KIND_LABELS, ResourceKind
    from crm.services import x_settings
    from crm.services.x_usage import usage_history, usage_month
    from crm.services.x_usage import x_usage as usage_now

    db = open_db(args)
    pricing = x_settings.pricing()
    month = usage_month(db, pricing)
    now = usage_now(db)
    history = usage_history(db)
    if args.json:
        print_json({"this_month": now, "history": history, "cost": month})
        return 0
    print(month.summary())
    print(pricing.describe())
    print_table(
        ["KIND", "RESOURCES", "COST"],
        [
            (KIND_LABELS[k], month.counts[k], pricing.money(month.micros_by_kind[k]))
            for k in ResourceKind
        ],
    )
    if month.days:
        print_table(
            ["DAY", *(k.value.upper() + "S" for k in ResourceKind), "COST"],
            [
                (d.day, *(d.counts.get(k, 0) for k in ResourceKind), pricing.money(d.micros))
                for d in month.days
            ],
        )
    print(now.text)
    if history:
        print_table(["MONTH", "REQUESTS"], [(u.month, u.requests) for u in history])
    return 0


def x_plan(args: argparse.Namespace) -> int:
    from crm.domain.xcost import ResourceKind
    from crm.services import x_settings

    prices = {
        kind: value
        for kind in ResourceKind
        if (value := getattr(args, f"price_{kind.value}")) is not None
    }
    changing = prices or any(
        v is not None
        for v in (args.plan, args.legacy_fee, args.legacy_cap, args.gbp_rate, args.budget)
    )
    pricing = (
        x_settings.set_pricing(
            plan=args.plan,
            prices=dict(prices),
            legacy_monthly_usd=args.legacy_fee,
            legacy_post_cap=args.legacy_cap,
            usd_to_gbp=args.gbp_rate,
            budget_usd=args.budget,
        )
        if changing
        else x_settings.pricing()
    )
    if args.json:
        print_json(pricing)
        return 0
    print(pricing.describe())
    budget = pricing.budget_micros
    print(f"Monthly budget: {pricing.money(budget) if budget else 'none'}.")
    print(f"Pounds: £{pricing.usd_to_gbp} to the dollar.")
    return 0


def x_cadence(args: argparse.Namespace) -> int:
    from crm.services.x_cadence import cadence_of, set_cadence

    db = open_db(args)
    account = linked_x_account(db, args)
    if args.cadence:
        tier = set_cadence(db, account.id, None if args.cadence == "default" else args.cadence)
    else:
        tier = cadence_of(db, [account.id])[account.id]
    print(f"@{account.handle} is read {tier.value} by a scheduled sync.")
    return 0
