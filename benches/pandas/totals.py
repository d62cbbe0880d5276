"""The pandas peer of issue 12: reads the agreement's CSV tables and computes every party's
invoice total for one date, to the öre, the way an analyst would; then compares with
billing-report's invoices.json.

    python3 benches/pandas/totals.py CSV_FOLDER DATE [INVOICES_JSON]

What it computes: the pools due on DATE split by their key (population, equal, users on DATE)
among their participants that are members on DATE, each share rounded down to the öre and the
öre left given by largest remainder (ties by party id); plus VAT at the pool's rate. It does NOT
model caps, the user fee from the budget, corrections or entry/exit rules: where billing-report
applies those, totals differ, and the comparison says on how many parties.
"""
import json
import sys
from decimal import Decimal, ROUND_HALF_UP

import pandas as pd


def main():
    folder, date = sys.argv[1], pd.Timestamp(sys.argv[2])
    parties = pd.read_csv(f"{folder}/Parties.csv", dtype=str)
    pools = pd.read_csv(f"{folder}/Pools.csv", dtype=str)
    settings = pd.read_csv(f"{folder}/Settings.csv", dtype=str).set_index("setting")["value"]
    users_path = f"{folder}/Users.csv"
    if "users_file" in settings.index:
        users_path = f"{folder}/../{settings['users_file']}"
    users = pd.read_csv(users_path, dtype={"party": str, "user_id": str},
                        parse_dates=["first_day", "last_day"])
    active = users[(users.first_day <= date) & (users.last_day.isna() | (users.last_day >= date))]
    counts = active.groupby("party").user_id.nunique()
    issuer = settings["issuer"]
    parties["joined"] = pd.to_datetime(parties.get("joined"))
    members = parties[(parties.joined.isna() | (parties.joined <= date)) & (parties.id != issuer)]
    pop = pd.to_numeric(parties.set_index("id")["population"], errors="coerce")

    totals = {}
    for _, p in pools.iterrows():
        if pd.Timestamp(p["due"]) != date:
            continue
        ids = members.id if pd.isna(p["participants"]) else pd.Series(
            [x.strip() for x in p["participants"].split(",")])
        ids = ids[ids.isin(members.id)].sort_values()
        if p["key"] == "population":
            w = pop.reindex(ids).fillna(0)
        elif p["key"] == "users":
            w = counts.reindex(ids).fillna(0)
        else:
            w = pd.Series(1, index=ids)
        amount = int(Decimal(p["amount"]) * 100)
        exact = w.astype(object) * amount / w.sum() if w.sum() else w * 0
        floor = exact.apply(int)
        left = amount - int(floor.sum())
        order = (exact - floor).sort_values(ascending=False, kind="stable").index[:left]
        floor.loc[order] += 1
        vat = Decimal(p["vat"] or 0) if not pd.isna(p["vat"]) else Decimal(0)
        for pid, ore in floor.items():
            net = Decimal(ore) / 100
            v = (net * vat / 100).quantize(Decimal("0.01"), ROUND_HALF_UP)
            totals[pid] = totals.get(pid, Decimal(0)) + net + v
    for pid, t in sorted(totals.items()):
        print(f"{pid}\t{t}")
    if len(sys.argv) > 3:
        invoices = json.load(open(sys.argv[3]))["invoices"]
        ours = {i["buyer"]: Decimal(i["net_total"]) + Decimal(i["vat_total"]) for i in invoices}
        agree = sum(1 for k in set(ours) | set(totals) if ours.get(k) == totals.get(k))
        print(f"agree on {agree} of {len(set(ours) | set(totals))} parties", file=sys.stderr)


if __name__ == "__main__":
    main()
