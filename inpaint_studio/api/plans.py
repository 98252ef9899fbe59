"""MusicGPT plans: parallel audio generations, byId calls per minute, inpaint price per song.

From the rate-limit and pricing pages (API notes §5). Shared by the client (poll pacing, cost
estimate) and the local server (429s, credit_estimate)."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_BASE_URL = "https://api.musicgpt.com/api/public"  # the service's address


@dataclass(frozen=True)
class Plan:
    name: str
    parallel_jobs: int  # unfinished audio generations at once (Inpaint is one)
    byid_per_minute: int
    usd_per_output: float  # "$0.06 per song" with 2 outputs by default → 0.12 per request

    @property
    def min_poll_interval(self) -> float:
        """The shortest gap between byId calls that stays within the plan's rate."""
        return 60.0 / self.byid_per_minute

    def credit_estimate(self, num_outputs: int) -> float:
        return round(self.usd_per_output * max(1, num_outputs), 4)


PLANS: dict[str, Plan] = {
    "free": Plan("free", 1, 20, 0.20),  # pay-as-you-go price
    "plus": Plan("plus", 3, 200, 0.10),
    "pro": Plan("pro", 10, 500, 0.06),
}


def plan_named(name: str) -> Plan:
    """The plan of that name (case-insensitive); ValueError names the valid ones."""
    try:
        return PLANS[name.lower()]
    except KeyError:
        raise ValueError(f"Unknown plan {name!r}: use one of {', '.join(PLANS)}") from None
