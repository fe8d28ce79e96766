"""Password rules (issue 20): at least PASSWORD_MIN_LENGTH characters (10), at most 200, not
a common password (gateway/data/common_passwords.txt, shipped with the code; also with a
trailing number or "!"). One function for every place a password is set: a new account, a change of one's
own, an admin's reset, a reset by e-mail."""
import functools
import os
import re

from services.common.text import tr_lower

TOO_SHORT = "At least {min} characters."
TOO_LONG = "At most 200 characters."
TOO_COMMON = "This password is too common; choose another."
COMMON_FILE = os.path.join(os.path.dirname(__file__), "data", "common_passwords.txt")


@functools.lru_cache(maxsize=1)
def common():
    with open(COMMON_FILE, encoding="utf-8") as f:
        return frozenset(tr_lower(line.strip()) for line in f
                         if line.strip() and not line.startswith("#"))


def problems(password, min_length):
    """The password's problems as field messages (empty: it may be used)."""
    if not isinstance(password, str):
        return [TOO_SHORT]
    if len(password) < min_length:
        return [(TOO_SHORT, {"min": min_length})]
    if len(password) > 200:
        return [TOO_LONG]
    folded = tr_lower(password.strip())
    core = re.sub(r"[\d!.]+$", "", folded)
    if folded in common() or (core and core in common() and len(core) >= 4):
        return [TOO_COMMON]
    return []
