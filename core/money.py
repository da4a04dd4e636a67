"""Money as integer fen (分) of CNY, with formatting and the one place rounding happens."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from core.errors import InvalidInput

# The largest amount a form may type: ¥10,000,000.00.
MAX_PARSED_FEN = 1_000_000_000
# The largest amount anything may carry (an order's total, a transfer, a price, a quota): ¥10 billion.
# Far above any real order, far below the 64-bit (BIGINT) fen columns, and sums of many still fit.
MAX_AMOUNT_FEN = 1_000_000_000_000
# Yuan as people type them: 12, 12.5, 1234.50, ¥1,234.50 (commas only between groups of three).
_YUAN_TEXT = re.compile(r"(-)?[¥￥]?([0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.([0-9]{1,2}))?")


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
        return self.share(basis_points, 10000)

    def share(self, part: int, whole: int) -> Money:
        """Return this amount times part/whole, rounded half away from zero to the fen.

        Taken of running totals (the share of everything so far, less what earlier shares gave),
        successive shares never add up to more than the amount, and the whole gives it exactly."""
        if whole <= 0 or part < 0:
            raise ValueError("a share needs 0 <= part and 0 < whole")
        exact = Decimal(self.fen) * Decimal(part) / Decimal(whole)
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

    def format(self, *, symbol: bool = True, grouping: bool = True) -> str:
        """Format as ¥1,234.50 (negative as -¥1,234.50); without symbol and grouping as the exact
        decimal 1234.50 that CSV cells and form fields hold."""
        sign = "-" if self.fen < 0 else ""
        yuan, fen = divmod(abs(self.fen), 100)
        whole = f"{yuan:,}" if grouping else str(yuan)
        return f"{sign}{'¥' if symbol else ''}{whole}.{fen:02d}"

    def format_short(self) -> str:
        """Whole yuan for chart axes: ¥8,500; from ten thousand yuan in 万 to one decimal: ¥12.3万."""
        yuan = abs(self.fen) // 100
        sign = "-" if self.fen < 0 and yuan else ""
        if yuan < 10_000:
            return f"{sign}¥{yuan:,}"
        wan = (Decimal(yuan) / 10_000).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
        return f"{sign}¥{wan:,}万"

    def to_yuan(self) -> Decimal:
        """The exact Decimal of yuan (two places), for spreadsheets."""
        return Decimal(self.format(symbol=False, grouping=False))

    def __str__(self) -> str:
        return self.format()


def format_fen(fen: int, *, symbol: bool = True, grouping: bool = True) -> str:
    """Format an integer amount of fen as ¥1,234.50 (or 1234.50 without symbol and grouping)."""
    return Money(fen).format(symbol=symbol, grouping=grouping)


def format_fen_short(fen: int) -> str:
    """Format fen as whole yuan for a chart axis: ¥8,500, ¥12.3万."""
    return Money(fen).format_short()


def parse_yuan(
    text: str, *, field: str = "amount", allow_zero: bool = False, allow_negative: bool = False
) -> int:
    """Parse an amount typed in yuan ("12.5", "¥1,234.50") into fen; refuse anything else.

    At most two decimals (no fractions of a fen, no rounding), no exponents, NaN or infinity,
    nothing above MAX_PARSED_FEN, and neither zero nor a negative amount unless asked for. The
    InvalidInput names the form field."""
    match = _YUAN_TEXT.fullmatch(text.strip()) if isinstance(text, str) and len(text) <= 40 else None
    if match is None:
        raise InvalidInput(
            f"{field}: not an amount of yuan",
            fields={field: "an amount in yuan with at most 2 decimals, e.g. 1234.50"},
        )
    sign, whole, part = match.groups()
    fen = int(Decimal(f"{whole.replace(',', '')}.{part or '0'}") * 100)
    if sign:
        fen = -fen
    if fen < 0 and not allow_negative:
        raise InvalidInput(f"{field}: a negative amount", fields={field: "not a negative amount"})
    if fen == 0 and not allow_zero:
        raise InvalidInput(f"{field}: a zero amount", fields={field: "an amount other than ¥0.00"})
    if abs(fen) > MAX_PARSED_FEN:
        raise InvalidInput(
            f"{field}: too large an amount", fields={field: f"at most {format_fen(MAX_PARSED_FEN)}"}
        )
    return fen
