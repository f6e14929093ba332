"""The FOMC calendar: the decision dates a scenario's meeting odds attach to."""

from __future__ import annotations

import datetime as dt

# FOMC decision dates published for 2025-2026; later (and earlier) years reuse the 2026
# pattern of month and day, which is close to the Fed's usual calendar.
_FOMC_KNOWN = {
    2025: ["01-29", "03-19", "05-07", "06-18", "07-30", "09-17", "10-29", "12-10"],
    2026: ["01-28", "03-18", "04-29", "06-17", "07-29", "09-16", "10-28", "12-09"],
}


def fomc_dates(year: int) -> list[dt.date]:
    """FOMC decision dates of a year (published for 2025-2026, approximate otherwise)."""
    days = _FOMC_KNOWN.get(year, _FOMC_KNOWN[2026])
    return [dt.date.fromisoformat(f"{year}-{d}") for d in days]
