"""Which `bad-piece` / `protocol-error` reports ban whom (docs/security.md §4.2). Pure.

Tokens and peer ids are free, so a report weighs by who sends it, never by how many tokens:
- a reporter is its address (IPv4, or IPv6 /64) and its network prefix (IPv4 /24, IPv6 /48);
- each prefix counts once per target, with the best weight among its reporters, and a weight
  is at most 1, so a ban needs reporters in at least `ceil(threshold)` distinct prefixes
  (2 by default): any number of tokens from one address or one prefix bans nobody;
- a report's weight is the reporter's standing: time in the swarm (a fresh Sybil weighs
  `young_weight`), times its history (an address or prefix that blamed more distinct peers in
  the last `report_history_s` than its budget weighs budget/blamed: one that reports everyone
  weighs ~0);
- reports are kept per target *address*, so a bad peer rotating tokens keeps its accusations,
  and a ban covers its address and its token identity for the ban time.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ReportPolicy:
    """Report weighing knobs (defaults in `SignalingConfig`)."""

    # Sum of per-prefix best weights that bans; > 1 so one prefix can never ban alone.
    threshold: float = 2.0
    # A reporter this long in the swarm reports with full weight; a new one with young_weight.
    full_standing_s: float = 30.0
    young_weight: float = 0.25
    # Distinct peers one address (one prefix) may blame per window at full weight.
    budget_per_address: int = 2
    budget_per_prefix: int = 4

    def __post_init__(self) -> None:
        if self.threshold <= 1.0:
            raise ValueError("report threshold must exceed 1 (one prefix weighs at most 1)")
        if not 0.0 < self.young_weight <= 1.0 or self.full_standing_s < 0:
            raise ValueError("young_weight must be in (0, 1] and full_standing_s >= 0")
        if self.budget_per_address < 1 or self.budget_per_prefix < 1:
            raise ValueError("report budgets must be positive")


@dataclass(frozen=True, slots=True)
class Accusation:
    """One reporter's standing report against one target (the latest per reporter address)."""

    reporter: str  # host key: IPv4 address or IPv6 /64
    prefix: str  # the reporter's network prefix
    weight: float
    at: float


def standing(age_s: float, policy: ReportPolicy) -> float:
    """Weight of a reporter that has been in its swarm for `age_s` seconds."""
    if policy.full_standing_s <= 0:
        return 1.0
    ramp = min(1.0, max(0.0, age_s) / policy.full_standing_s)
    return policy.young_weight + (1.0 - policy.young_weight) * ramp


def history_factor(address_blamed: int, prefix_blamed: int, policy: ReportPolicy) -> float:
    """How much of its standing a reporter keeps after blaming that many distinct peers
    (this report included) from its address and its prefix within the window."""
    return min(
        1.0,
        policy.budget_per_address / max(1, address_blamed),
        policy.budget_per_prefix / max(1, prefix_blamed),
    )


def ban_score(accusations: Iterable[Accusation]) -> float:
    """Sum over reporter prefixes of the best weight from that prefix."""
    best: dict[str, float] = {}
    for accusation in accusations:
        best[accusation.prefix] = max(best.get(accusation.prefix, 0.0), accusation.weight)
    return sum(best.values())


def should_ban(accusations: Iterable[Accusation], policy: ReportPolicy) -> bool:
    # A tiny tolerance: 0.25 * 4 prefixes must reach 1.0 despite float sums.
    return ban_score(accusations) >= policy.threshold - 1e-9
