"""The fake X API's answers in X's own shapes: routing a path to its endpoint, the fields a
request asked for, tweet metrics and the error objects X returns (not found, suspended,
protected, invalid counts, a client not enrolled)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tests.x.fake_x_server import FakeUser


def route(path: str) -> tuple[str | None, dict[str, str]]:
    parts = [p for p in path.split("/") if p]
    if parts[:2] != ["2", "users"]:
        return None, {}
    rest = parts[2:]
    if not rest:
        return "/2/users", {}
    if rest == ["by"]:
        return "/2/users/by", {}
    if len(rest) == 3 and rest[:2] == ["by", "username"]:
        return "/2/users/by/username/:username", {"username": rest[2]}
    if len(rest) == 2 and rest[1] == "tweets":
        return "/2/users/:id/tweets", {"id": rest[0]}
    if len(rest) == 2 and rest[1] == "mentions":
        return "/2/users/:id/mentions", {"id": rest[0]}
    return None, {}


def fields(query: dict[str, str], name: str) -> set[str]:
    return {f for f in query.get(name, "").split(",") if f}


def metrics(i: int) -> dict[str, int]:
    return {
        "retweet_count": (i * 7) % 23,
        "reply_count": (i * 3) % 11,
        "like_count": (i * 13) % 97 + 1,
        "quote_count": i % 4,
        "bookmark_count": i % 6,
        "impression_count": 400 + (i * 37) % 5000,
    }


def tweet_json(tweet: dict[str, Any], fields: set[str]) -> dict[str, Any]:
    always = {"id", "text", "edit_history_tweet_ids"}
    return {k: v for k, v in tweet.items() if k in always or k in fields}


def user_error(user: FakeUser | None, value: str, parameter: str) -> dict[str, Any]:
    label = "username" if parameter.startswith("username") else "id"
    if user is not None and user.suspended:
        return {
            "value": value,
            "detail": f"User has been suspended: [{value}].",
            "title": "Forbidden",
            "resource_type": "user",
            "parameter": parameter,
            "resource_id": value,
            "type": "https://api.twitter.com/2/problems/resource-not-found",
        }
    return {
        "value": value,
        "detail": f"Could not find user with {label}: [{value}].",
        "title": "Not Found Error",
        "resource_type": "user",
        "parameter": parameter,
        "resource_id": value,
        "type": "https://api.twitter.com/2/problems/resource-not-found",
    }


def protected_error(user_id: str) -> dict[str, Any]:
    return {
        "value": user_id,
        "detail": f"Sorry, you are not authorized to see the user with id: [{user_id}].",
        "title": "Authorization Error",
        "resource_type": "user",
        "parameter": "id",
        "resource_id": user_id,
        "type": "https://api.twitter.com/2/problems/not-authorized-for-resource",
    }


def invalid_count(param: str, values: Iterable[str]) -> dict[str, Any]:
    listed = list(values)
    return {
        "errors": [
            {
                "parameters": {param: [",".join(listed)]},
                "message": f"The number of values in the `{param}` query parameter list "
                f"[{len(listed)}] is not between 1 and 100",
            }
        ],
        "title": "Invalid Request",
        "detail": "One or more parameters to your request was invalid.",
        "type": "https://api.twitter.com/2/problems/invalid-request",
    }


def client_not_enrolled() -> dict[str, Any]:
    return {
        "client_id": "28061974",
        "detail": "When authenticating requests to the Twitter API v2 endpoints, you must use "
        "keys and tokens from a Twitter developer App that is attached to a Project. You can "
        "create a project via the developer portal.",
        "registration_url": "https://developer.twitter.com/en/docs/projects/overview",
        "title": "Client Forbidden",
        "required_enrollment": "Appropriate Level of API Access",
        "reason": "client-not-enrolled",
        "type": "https://api.twitter.com/2/problems/client-forbidden",
    }
