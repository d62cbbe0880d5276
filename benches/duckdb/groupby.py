"""DuckDB's GROUP BY (party, kind, month) over a transactions file: the peer of
`billing-report transactions` (NOTES.md, "The transaction-file peer").

usage: python3 groupby.py FILE OUT.csv
Prints the query's own wall time; writes party,kind,month,count in the same form as
`billing-report transactions --kinds ...` so the two outputs can be compared with cmp.
"""
import sys
import time

import duckdb

QUERY = """
SELECT party, kind, date_trunc('month', timestamp) AS month, count(*) AS n
FROM read_csv(?, header=true,
              columns={'timestamp': 'TIMESTAMP', 'party': 'VARCHAR', 'kind': 'VARCHAR'})
GROUP BY ALL ORDER BY ALL
"""


def main():
    path, out = sys.argv[1], sys.argv[2]
    con = duckdb.connect()
    start = time.perf_counter()
    rows = con.execute(QUERY, [path]).fetchall()
    elapsed = time.perf_counter() - start
    with open(out, "w") as f:
        f.write("party,kind,month,count\n")
        for party, kind, month, n in rows:
            f.write(f"{party},{kind},{month:%Y-%m},{n}\n")
    print(f"duckdb query: {len(rows)} groups in {elapsed:.3f} s")


if __name__ == "__main__":
    main()
