"""Pickles across the language line (see pickle.cmake).

    python3 pickle_check.py PICKLE_PEER

Python pickles a broad set of values (fixed ones and random nested ones from
a fixed seed) with protocols 2 to 5; pickle_peer reads each and writes it
back, as a graph and through par_py values. The graph's pickle must load as
the same value with the same sharing and cycles; the par_py one as the same
value (parts shared in the pickle come back as copies). Then the values
pickle_peer writes with par_py_dumps must load as C_VALUES. Exit 0 when all
hold, 1 with the first difference.
"""
import collections
import decimal
import pickle
import random
import struct
import subprocess
import sys

C_VALUES = [
    ("#RETURN", None),
    (-1, -(2**63), -0.5, True, "h\u00e9", b"\x00\x01\xff", [], ()),
    [(65536,), [-1, -(2**63), -0.5, True, "h\u00e9", b"\x00\x01\xff", [], ()], None],
    2**63 - 1,
    "",
]


class Differ(Exception):
    pass


def same(a, b, shared, seen):
    """a and b hold the same values; with shared, also the same identity
    structure (a bijection between their mutable or shared parts)."""
    if type(a) is not type(b):
        raise Differ("%r is not %r" % (type(a), type(b)))
    if isinstance(a, float):
        if struct.pack("<d", a) != struct.pack("<d", b):
            raise Differ("%r != %r" % (a, b))
        return
    if isinstance(a, (type(None), bool, int, str, bytes, bytearray, decimal.Decimal, complex)):
        if a != b:
            raise Differ("%r != %r" % (a, b))
        return
    if id(a) in seen:
        if shared and seen[id(a)] is not b:
            raise Differ("sharing differs at %r" % (a,))
        return
    seen[id(a)] = b
    if shared:
        if id(b) in seen.setdefault("rev", {}) and seen["rev"][id(b)] is not a:
            raise Differ("two parts became one: %r" % (b,))
        seen["rev"][id(b)] = a
    if isinstance(a, (list, tuple)):
        if len(a) != len(b):
            raise Differ("lengths differ: %r %r" % (a, b))
        for x, y in zip(a, b):
            same(x, y, shared, seen)
    elif isinstance(a, dict):
        if list(a.keys()) != list(b.keys()):
            raise Differ("keys differ: %r %r" % (list(a), list(b)))
        for k in a:
            same(a[k], b[k], shared, seen)
    elif isinstance(a, (set, frozenset)):
        if a != b:
            raise Differ("%r != %r" % (a, b))
    elif isinstance(a, BaseException):
        same(a.args, b.args, shared, seen)
    elif a != b:
        raise Differ("%r != %r" % (a, b))


def fixed_values():
    x = [1]
    rec = []
    rec.append(rec)
    d = {}
    d["self"] = d
    lst = []
    t = (lst, 5, 6, 7, 8)
    lst.append(t)
    s = "shared"
    return [
        None, True, False, 0, 255, 256, 65535, 65536, -1, 2**31 - 1, -(2**31), 2**31,
        2**63 - 1, -(2**63), 2**64, 2**100, -(2**100), 0.0, -0.0, 1.5, 1e308,
        float("inf"), float("nan"), "", "hello", "x" * 300, "h\u00e9llo \u20ac\U0001d11e",
        "a\udc80b", b"", bytes(range(256)), b"x" * 70000, bytearray(b"abc"), bytearray(),
        (), (1,), (1, 2), (1, 2, 3), (1, 2, 3, 4), ((1,), ((2, 3), ())), [], [1, "a", None],
        list(range(2500)), {}, {"a": 1, "b": [1, 2]}, {i: -i for i in range(1500)}, set(),
        {1, 2, 3}, frozenset(), frozenset({1, 2}), ("a", "a"), [x, x, (x,)], rec, d, t,
        [s, s, (s, s)], decimal.Decimal("1.5"), collections.OrderedDict([("a", 1), ("b", 2)]),
        complex(1, 2), ValueError("boom"),
        ("7f6b8de066d0", "put", (b"x" * 70000,), {"block": True, "timeout": 5}),
    ]


def random_value(rng, depth, pool):
    r = rng.random()
    if depth == 0 or r < 0.4:
        choice = rng.randrange(9)
        if choice == 0:
            return rng.choice([None, True, False])
        if choice == 1:
            return rng.randint(-(2**70), 2**70) if rng.random() < 0.2 else rng.randint(-70000, 70000)
        if choice == 2:
            return rng.uniform(-1e10, 1e10)
        if choice == 3:
            return "".join(chr(rng.choice([rng.randrange(32, 127), rng.randrange(160, 0x2FFF)]))
                           for _ in range(rng.randrange(8)))
        if choice == 4:
            return bytes(rng.randrange(256) for _ in range(rng.randrange(300)))
        if pool and choice == 5:
            return rng.choice(pool)
        return rng.randint(0, 300)
    n = rng.randrange(6)
    kind = rng.randrange(6)
    items = [random_value(rng, depth - 1, pool) for _ in range(n)]
    if kind == 0:
        v = tuple(items)
    elif kind == 1:
        v = list(items)
        if rng.random() < 0.2:
            v.append(v)
    elif kind == 2:
        v = {i: x for i, x in enumerate(items)}
        if rng.random() < 0.2:
            v["me"] = v
    elif kind == 3:
        v = set(x for x in items if isinstance(x, (int, str, bytes)))
    elif kind == 4:
        v = frozenset(x for x in items if isinstance(x, (int, str, bytes)))
    else:
        v = collections.OrderedDict((str(i), x) for i, x in enumerate(items))
    pool.append(v)
    return v


def records(data):
    out, i = [], 0
    while i < len(data):
        status, n = struct.unpack_from("<iI", data, i)
        out.append((status, data[i + 8:i + 8 + n]))
        i += 8 + n
    return out


def main():
    peer = sys.argv[1]
    rng = random.Random(20240607)
    values = fixed_values()
    pool = []
    values += [random_value(rng, 4, pool) for _ in range(300)]
    cases = [(v, p, pickle.dumps(v, p)) for v in values for p in (2, 3, 4, 5)]
    stdin = b"".join(struct.pack("<I", len(pk)) + pk for _, _, pk in cases)
    res = subprocess.run([peer, "rewrite"], input=stdin, stdout=subprocess.PIPE, check=True)
    recs = records(res.stdout)
    if len(recs) != 2 * len(cases):
        print("peer answered %d records for %d pickles" % (len(recs), len(cases)))
        return 1
    for i, (v, proto, pk) in enumerate(cases):
        for how, (status, out) in zip(("graph", "par_py"), recs[2 * i:2 * i + 2]):
            try:
                if status != 0:
                    raise Differ("peer status %d" % status)
                same(v, pickle.loads(out), how == "graph", {})
            except (Differ, Exception) as e:
                print("case %d (protocol %d, %s): %s\n  value %r" % (i, proto, how, e,
                                                                   repr(v)[:200]))
                return 1
    res = subprocess.run([peer, "values"], stdout=subprocess.PIPE, check=True)
    recs = records(res.stdout)
    if len(recs) != len(C_VALUES):
        print("peer wrote %d values, want %d" % (len(recs), len(C_VALUES)))
        return 1
    for want, (status, out) in zip(C_VALUES, recs):
        try:
            if status != 0:
                raise Differ("peer status %d" % status)
            same(want, pickle.loads(out), False, {})
        except (Differ, Exception) as e:
            print("par_py_dumps of %r: %s" % (want, e))
            return 1
    print("%d pickles rewritten, %d par_py values loaded: all the same in Python %d.%d"
          % (len(cases), len(C_VALUES), sys.version_info[0], sys.version_info[1]))
    return 0


sys.exit(main())
