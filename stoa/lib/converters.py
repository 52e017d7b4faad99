"""Path converters. Ids in paths are bounded so that a hand-typed number too large for the
database (a 64-bit integer) is not found, rather than an error deep in the query."""


class IdConverter:
    """A whole number of at most 18 digits: ids, week numbers, positions."""

    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)
