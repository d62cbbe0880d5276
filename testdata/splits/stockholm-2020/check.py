#!/usr/bin/env python3
"""Independent check of expected.csv: Stockholm county, 2,000,000 kr by population, LOU 2020 cap.

Recomputes every figure with exact fractions and its own largest-remainder (ties to the id that
sorts first) and water-filling code, sharing nothing with the Rust engine, and compares.
Run from the repository root: python3 testdata/splits/stockholm-2020/check.py
"""
import csv
import sys
from fractions import Fraction
from pathlib import Path

HERE = Path(__file__).resolve().parent
AMOUNT = 200_000_000  # öre
CAP = 61_531_200      # 615,312 kr, the threshold in force on 2020-01-01, in öre


def hamilton(total, weights):
    """Split total öre by weights {id: w}: truncate, then one öre each to the largest remainders."""
    wsum = sum(weights.values())
    exact = {k: Fraction(total * w, wsum) for k, w in weights.items()}
    parts = {k: v.numerator // v.denominator for k, v in exact.items()}
    left = total - sum(parts.values())
    for k in sorted(weights, key=lambda k: (-(exact[k] - parts[k]), k))[:left]:
        parts[k] += 1
    return parts


def water_fill(total, weights, cap):
    capped, remaining, rest = set(), total, dict(weights)
    while rest:
        wsum = sum(rest.values())
        over = {k for k, w in rest.items() if Fraction(remaining * w, wsum) > cap}
        if not over:
            break
        capped |= over
        remaining -= cap * len(over)
        rest = {k: w for k, w in rest.items() if k not in over}
    parts = {k: cap for k in capped}
    if rest:
        parts.update(hamilton(remaining, rest))
        return parts, 0
    return parts, remaining


def fmt(ore):
    return f"{ore // 100}.{ore % 100:02d}"


def main():
    rows = list(csv.DictReader(open(HERE.parent.parent / "municipalities-2016.csv", encoding="utf-8")))
    pop = {r["code"]: int(r["population"]) for r in rows if r["county"] == "Stockholms län"}
    assert len(pop) == 26
    expected = [tuple(r) for r in csv.reader(open(HERE / "expected.csv", encoding="utf-8"))][1:]

    got = []
    plain = hamilton(AMOUNT, pop)
    got += [("none", k, fmt(plain[k])) for k in sorted(pop)]
    clipped = {k: min(v, CAP) for k, v in plain.items()}
    excess = sum(plain.values()) - sum(clipped.values())
    got += [("absorb:01", k, fmt(clipped[k])) for k in sorted(pop)] + [("absorb:01", "01", fmt(excess))]
    filled, uncovered = water_fill(AMOUNT, pop, CAP)
    got += [("redistribute", k, fmt(filled[k])) for k in sorted(pop)]
    if uncovered:
        got.append(("redistribute", "", fmt(uncovered)))
    got += [("uncovered", k, fmt(clipped[k])) for k in sorted(pop)] + [("uncovered", "", fmt(excess))]

    mine = [(r[0], r[1], r[4]) for r in expected]
    if mine != got:
        for a, b in zip(mine, got):
            if a != b:
                print(f"expected.csv {a} but the independent check gives {b}")
        print(f"{len(mine)} rows in expected.csv, {len(got)} computed")
        sys.exit(1)
    for policy in ("none", "absorb:01", "redistribute", "uncovered"):
        total = sum(int(r[2].replace(".", "")) for r in got if r[0] == policy)
        assert total == AMOUNT, (policy, total)
    print("26 municipalities × 4 policies: all figures agree")


main()
