"""What a page says instead of forms this person's role does not allow.

A form that can only fail (``add_code: needs the admin role``) is a dead end; the page
shows what it may, names the role needed and how the study's owner gives it.
"""

from __future__ import annotations


def _a(word: str) -> str:
    return ("an " if word[:1].lower() in "aeiou" else "a ") + word


def needs_role(role: str, name: str, current: str, what: str) -> str:
    """Plain words for a page part this person's role does not allow, and how to get it."""
    return (f"To {what} you need {_a(role)} role; {name} is {_a(current)}. "
            "The study's owner gives it on the command line: "
            f"qualcode user role STUDY {name} --role {role}")
