"""dup.py FILE: for each election-turn fetch, the earlier origin fetches of the same seq by others (gap)."""
import sys, json, collections
d = json.load(open(sys.argv[1])); log = d['log']
first = collections.defaultdict(list)  # seq -> [(t, pid, kind)]
for at, pid, seq, kind, det in log:
    if 'piece_count' in det and kind != 'peer-request':
        first[seq].append((at, pid, kind))
gaps = collections.Counter(); n = 0; dups = 0
for seq, lst in first.items():
    lst.sort(); seen = {}
    for at, pid, kind in lst:
        if pid in seen: continue
        seen[pid] = at
        if kind == 'election-turn':
            n += 1
            earlier = [t for p, t in seen.items() if p != pid]
            if earlier:
                dups += 1; g = at - min(earlier)
                gaps[round(g * 2) / 2] += 1
print('election turns', n, 'after another fetch', dups, 'gap histogram (s)', sorted(gaps.items()))
