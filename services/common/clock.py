"""Now, in UTC — asked by the rules that depend on days passing (a price approval's link
expires after seven days).

`Clock(offset_file)`: without a file, the real clock. With CLOCK_OFFSET_FILE set (tests only),
the file holds a number of seconds added to the real time, read at every call (a few bytes,
read only where such a rule is applied): an end-to-end test moves a running system eight
days ahead by writing "691200" there and back by writing "0", instead of waiting a week. No
file, an empty one, or one that holds no number: no offset."""
from datetime import datetime, timedelta, timezone


class Clock:
    def __init__(self, offset_file=None):
        self.offset_file = offset_file or None

    def now(self):
        return datetime.now(timezone.utc) + self.offset()

    def offset(self):
        if self.offset_file is None:
            return timedelta(0)
        try:
            with open(self.offset_file) as f:
                return timedelta(seconds=float(f.read().strip() or 0))
        except (OSError, ValueError, OverflowError):
            return timedelta(0)

    def __repr__(self):
        return f"Clock({self.offset_file!r})"

    def __eq__(self, other):
        return isinstance(other, Clock) and other.offset_file == self.offset_file

    def __hash__(self):
        return hash(self.offset_file)


class FixedClock(Clock):
    """A clock a test sets and moves: `clock.now()` is `at`; `clock.at += timedelta(days=8)`."""

    def __init__(self, at=None):
        super().__init__()
        self.at = at or datetime.now(timezone.utc)

    def now(self):
        return self.at

    def __eq__(self, other):
        return self is other

    def __hash__(self):
        return id(self)
