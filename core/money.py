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


_CAPITAL_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_CAPITAL_PLACES = ("", "拾", "佰", "仟")
# Sections of four digits: 元, 万, 亿 (up to ¥999,999,999,999.99; MAX_AMOUNT_FEN is ¥10,000,000,000.00).
_CAPITAL_SECTIONS = ("", "万", "亿")


def fen_in_capitals(fen: int) -> str:
    """An amount of fen in Chinese capitals (大写金额) as cheques and invoices write it:
    ¥1,234.50 → 壹仟贰佰叁拾肆元伍角整.

    The rules are those of the People's Bank's 《支付结算办法》 appendix (正确填写票据和结算凭证的基本规定):
    - every non-zero digit with its place (拾 佰 仟, sections 万 亿); ten is 壹拾, never 拾 alone;
    - a run of zeros between two non-zero digits is one 零 (¥6,007.14 → 陆仟零柒元壹角肆分), also when
      it spans a section (¥1,000,001.00 → 壹佰万零壹元整, ¥107,000.53 → 壹拾万零柒仟元伍角叁分);
      zeros at the end of the yuan write nothing;
    - where the rules allow either, a zero 元 digit before a non-zero 角 writes no 零
      (¥1,680.32 → 壹仟陆佰捌拾元叁角贰分, the second of the two forms the rules give);
    - a zero 角 before a non-zero 分 is 零 after 元 (¥325.04 → 叁佰贰拾伍元零肆分);
    - 整 after the last 元 or 角 when there is no 分 (¥10.00 → 壹拾元整, ¥0.50 → 伍角整); none after 分;
    - under one yuan no 元 is written (¥0.05 → 伍分), and nothing at all is 零元整.
    A negative amount is refused: a document asks for money in capitals, never for a refund."""
    if not isinstance(fen, int) or isinstance(fen, bool):
        raise TypeError(f"fen_in_capitals needs an integer number of fen, got {fen!r}")
    if fen < 0:
        raise ValueError("no capitals for a negative amount")
    yuan, cents = divmod(fen, 100)
    jiao, fen_digit = divmod(cents, 10)
    if len(str(yuan)) > 4 * len(_CAPITAL_SECTIONS):
        raise ValueError("too large an amount for capitals")
    if fen == 0:
        return "零元整"
    out: list[str] = []
    if yuan:
        digits = str(yuan)
        zero_pending = False
        for i, char in enumerate(digits):
            place = len(digits) - 1 - i
            if char == "0":
                zero_pending = True
            else:
                if zero_pending:
                    out.append("零")
                    zero_pending = False
                out.append(_CAPITAL_DIGITS[int(char)] + _CAPITAL_PLACES[place % 4])
            if place % 4 == 0 and int(digits[max(0, i - 3) : i + 1]):  # a section with a digit ends
                out.append(_CAPITAL_SECTIONS[place // 4])
        out.append("元")
    if jiao:
        out.append(_CAPITAL_DIGITS[jiao] + "角")
    if fen_digit:
        if not jiao and yuan:
            out.append("零")
        out.append(_CAPITAL_DIGITS[fen_digit] + "分")
    else:
        out.append("整")
    return "".join(out)
