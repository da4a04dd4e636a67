"""Money as integer fen (分) of CNY, with formatting and the one place rounding happens."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal


@dataclass(frozen=True, order=True)
class Money:
    """An amount of CNY in fen. Arithmetic stays in integers; floats are refused."""

    fen: int

    def __post_init__(self) -> None:
        if not isinstance(self.fen, int) or isinstance(self.fen, bool):
            raise TypeError(f"Money needs an integer number of fen, got {self.fen!r}")

    @classmethod
    def zero(cls) -> Money:
        return cls(0)

    def __add__(self, other: Money) -> Money:
        return Money(self.fen + other.fen)

    def __sub__(self, other: Money) -> Money:
        return Money(self.fen - other.fen)

    def __neg__(self) -> Money:
        return Money(-self.fen)

    def __mul__(self, qty: int) -> Money:
        if not isinstance(qty, int) or isinstance(qty, bool):
            raise TypeError("Money can only be multiplied by an integer quantity")
        return Money(self.fen * qty)

    __rmul__ = __mul__

    def apply_rate(self, basis_points: int) -> Money:
        """Return this amount times basis_points/10000, rounded half away from zero to the fen."""
        exact = Decimal(self.fen) * Decimal(basis_points) / Decimal(10000)
        return Money(int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP)))

    def allocate(self, weights: list[int]) -> list[Money]:
        """Split this amount in proportion to weights so the parts add up exactly (largest remainder)."""
        if not weights or any(w < 0 for w in weights) or sum(weights) == 0:
            raise ValueError("weights must be non-negative and not all zero")
        total = sum(weights)
        sign = -1 if self.fen < 0 else 1
        amount = abs(self.fen)
        shares = [amount * w // total for w in weights]
        remainders = sorted(range(len(weights)), key=lambda i: (-(amount * weights[i] % total), i))
        for i in remainders[: amount - sum(shares)]:
            shares[i] += 1
        return [Money(sign * s) for s in shares]

    def format(self) -> str:
        """Format as ¥12.50 (negative as -¥12.50)."""
        sign = "-" if self.fen < 0 else ""
        yuan, fen = divmod(abs(self.fen), 100)
        return f"{sign}¥{yuan:,}.{fen:02d}"

    def __str__(self) -> str:
        return self.format()


def format_fen(fen: int) -> str:
    """Format an integer amount of fen as ¥12.50."""
    return Money(fen).format()
