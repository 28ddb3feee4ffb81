"""FAISS side of the fingerprint benchmark (bench/fingerprint-faiss.ts runs it).

Reads the hash set and queries the TypeScript bench generated, builds one FAISS binary index in
this process (so its resident memory is its own), runs one range search per query at the given
radius on one thread, and prints one JSON object on stdout.

    /usr/bin/python3 bench/faiss_pdq.py DATA TRUTH {mih|flat} RADIUS MAX_QUERIES

DATA:  uint32 n, uint32 q, uint32 0, uint32 0, then n x 32 bytes of hashes, q x 32 bytes of queries.
TRUTH: for each of the first t queries, uint32 count then count uint32 ids (brute force, radius RADIUS).

The multi-hash parameters are HMA's: python-threatexchange's PDQMultiHashIndex builds
IndexBinaryMultiHash(256, nhash=16, b=256 // 16) and sets nflip = threshold // nhash before
searching with range_search(q, threshold + 1), because FAISS keeps distances strictly below the
radius it is given (signal_type/pdq/pdq_faiss_matcher.py; PDQIndex uses threshold 31).
"""

import json
import sys
import time

import numpy as np

try:
    import faiss
except ImportError:
    print(json.dumps({"error": "faiss not importable: apt-get install -y python3-faiss"}))
    sys.exit(3)

BITS = 256
NHASH = 16


def status_mb(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


def read_truth(path):
    raw = np.fromfile(path, dtype=np.uint32)
    truth, at = [], 0
    while at < len(raw):
        count = int(raw[at])
        truth.append(set(raw[at + 1 : at + 1 + count].tolist()))
        at += 1 + count
    return truth


def main():
    data_path, truth_path, kind, radius, max_queries = sys.argv[1:6]
    radius, max_queries = int(radius), int(max_queries)
    faiss.omp_set_num_threads(1)
    rss_base = status_mb("VmRSS")

    n, q = (int(x) for x in np.fromfile(data_path, dtype=np.uint32, count=2))
    hashes = np.fromfile(data_path, dtype=np.uint8, count=n * 32, offset=16).reshape(n, 32)
    queries = np.fromfile(data_path, dtype=np.uint8, count=q * 32, offset=16 + n * 32).reshape(q, 32)
    nq = min(q, max_queries)
    truth = read_truth(truth_path)

    t0 = time.perf_counter()
    if kind == "mih":
        index = faiss.IndexBinaryMultiHash(BITS, NHASH, BITS // NHASH)
        index.nflip = radius // NHASH
    else:
        index = faiss.IndexBinaryFlat(BITS)
    index.add(hashes)
    build_s = time.perf_counter() - t0
    # The index keeps its own copy; drop the input so RSS shows the index alone, as the TS side does.
    del hashes
    rss = status_mb("VmRSS")

    for i in range(min(300, nq) if kind == "mih" else min(20, nq)):
        index.range_search(queries[i : i + 1], radius + 1)

    lat = np.empty(nq)
    cpu = np.empty(nq)
    hits = 0
    found = 0
    missed = 0
    extra = 0
    t_all = time.perf_counter()
    for i in range(nq):
        c = time.process_time_ns()
        t = time.perf_counter_ns()
        lims, _, ids = index.range_search(queries[i : i + 1], radius + 1)
        lat[i] = (time.perf_counter_ns() - t) / 1e6
        cpu[i] = (time.process_time_ns() - c) / 1e6
        hits += int(lims[1])
        if i < len(truth):
            got = set(ids.tolist())
            found += len(got & truth[i])
            missed += len(truth[i] - got)
            extra += len(got - truth[i])
    total = time.perf_counter() - t_all
    cpu_total = float(cpu.sum())
    lat.sort()
    cpu.sort()
    checked = min(nq, len(truth))
    print(json.dumps({
        "index": "FAISS IndexBinaryMultiHash (HMA: nhash 16, b 16, nflip %d)" % (radius // NHASH) if kind == "mih" else "FAISS IndexBinaryFlat (brute force)",
        "version": faiss.__version__,
        "threads": "%d (OpenMP)" % faiss.omp_get_max_threads(),
        "n": n,
        "queries": nq,
        "buildS": build_s,
        "rssBaseMb": rss_base,
        "rssMb": rss,
        "hwmMb": status_mb("VmHWM"),
        "qps": nq / total,
        "cpuQps": nq / cpu_total * 1000,
        "p50": float(lat[nq // 2]),
        "p99": float(lat[int(nq * 0.99)]),
        "cpuP50": float(cpu[nq // 2]),
        "cpuP99": float(cpu[int(nq * 0.99)]),
        "meanHits": hits / nq,
        "truthQueries": checked,
        "truthHits": found + missed,
        "recall": found / (found + missed) if found + missed else 1.0,
        "extra": extra,
    }))


main()
