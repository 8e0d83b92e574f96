"""A figure found in a text, whatever its language, and when two figures state the same value.

`auditor.lang.zh_figures` reads them from Chinese, `auditor.lang.en_figures` from English; the
source-side checks compare the two with `same_value`.
"""

from __future__ import annotations

from dataclasses import dataclass

WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True)
class Quantity:
    """A figure found in a text: its value, and where it is (offsets into that text)."""

    value: float
    start: int
    end: int
    text: str
    alternatives: tuple[float, ...] = ()
    """Other values the same words can stand for ("九二" is 92 or the year 1992)."""
    approximate: bool = False
    """A range written with neighbouring digits: `value` to `alternatives[0]` ("六七千")."""
    unit: str = ""
    """What the value counts: "" a number (a date comes out as its parts, month and day), or
    "weekday" a day of the week, 0 = Monday ("周三", "Wednesday")."""

    @property
    def shown(self) -> str:
        """The value as a reader would state it: "250,000,000", "16,000 to 17,000"."""
        if self.unit == "weekday":
            return WEEKDAY_NAMES[int(self.value)]

        def fmt(x: float) -> str:
            return f"{x:,.0f}" if float(x).is_integer() else f"{x:,.4g}"
        if self.approximate and self.alternatives:
            return f"{fmt(self.value)} to {fmt(self.alternatives[0])}"
        return fmt(self.value)

    @property
    def values(self) -> tuple[float, ...]:
        return (self.value, *self.alternatives)


def same_value(a: Quantity, b: Quantity) -> bool:
    """Equal up to rounding in the last reported digit (0.5%: "2.46亿" ~ "246 million"),
    under any of the values each side can stand for, and counting the same thing."""
    return a.unit == b.unit and any(abs(x - y) <= 0.005 * max(abs(x), abs(y), 1e-9)
               for x in a.values for y in b.values)


__all__ = ["WEEKDAY_NAMES", "Quantity", "same_value"]
