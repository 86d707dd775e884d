#!/usr/bin/env python3
"""Write pickle_fixtures.h: pickles CPython made (protocols 2 to 5, and the
manager messages as ForkingPickler.dumps makes them) with the graph the C
reader must make of each, in the canonical text test_pickle.c renders.

Run from anywhere: python3 tests/net/pickle_fixtures.py (it re-runs itself
with PYTHONHASHSEED=0 so sets come out in the same order every time).

Canonical text of a graph (pre-order; every node that has an identity gets
"#k=" at its first visit and is "@k" when reached again; the empty tuple, a
singleton in Python, has none):
  N T F               None, True, False
  I<dec>              int that fits 64 bits
  L<hex>              other ints: minimal little-endian two's complement
  D<hex>              float: the 8 big-endian bytes
  S<len>:<hex> B.. Y..  str (UTF-8, surrogatepass), bytes, bytearray; past
                      32 bytes the hex is FNV-1a 64 of the data
  (a,b) [a,b] {k:v} s{a} f{a}   tuple list dict set frozenset
  G(module|name)      a global
  R(f,args) O(cls,args) X(cls,args,kw)   REDUCE NEWOBJ NEWOBJ_EX
    then .a(x) .s(k,v) .b(state) for each APPEND, SETITEM, BUILD after it
"""
import codecs
import collections
import copyreg
import decimal
import os
import pickle
import pickletools
import struct
import sys
from multiprocessing.reduction import ForkingPickler

if os.environ.get("PYTHONHASHSEED") != "0":
    os.environ["PYTHONHASHSEED"] = "0"
    os.execv(sys.executable, [sys.executable] + sys.argv)

INT64 = (-(2**63), 2**63 - 1)


def fnv(b):
    h = 0xCBF29CE484222325
    for c in b:
        h = ((h ^ c) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def data(tag, b):
    if len(b) <= 32:
        return "%s%d:%s" % (tag, len(b), b.hex())
    return "%s%d:%016x" % (tag, len(b), fnv(b))


class Describe:
    """What CPython's pickler writes for obj, as the reader's graph."""

    def __init__(self, proto):
        self.proto = proto
        self.ids = {}
        self.n = 0
        self.keep = []

    def label(self, obj):
        self.n += 1
        if obj is not None:
            self.ids[id(obj)] = self.n
            self.keep.append(obj)
        return "#%d=" % self.n

    def __call__(self, obj):
        if id(obj) in self.ids:
            return "@%d" % self.ids[id(obj)]
        t = type(obj)
        if obj is None:
            return "N"
        if t is bool:
            return "T" if obj else "F"
        if t is int:
            if INT64[0] <= obj <= INT64[1]:
                return "I%d" % obj
            return "L" + pickle.encode_long(obj).hex()
        if t is float:
            return "D" + struct.pack(">d", obj).hex()
        if t is str:
            return self.label(obj) + data("S", obj.encode("utf-8", "surrogatepass"))
        if t is bytes:
            if self.proto >= 3:
                return self.label(obj) + data("B", obj)
            if not obj:
                return self.reduce(obj, bytes, ())
            return self.reduce(obj, codecs.encode, (str(obj, "latin1"), "latin1"))
        if t is bytearray:
            if self.proto >= 5:
                return self.label(obj) + data("Y", bytes(obj))
            # _pickle.c's save_bytearray below protocol 5
            return self.reduce(obj, bytearray, (bytes(obj),) if obj else ())
        if t is tuple:
            if not obj:
                return "()"  # a singleton: no identity to keep
            pre = self.label(obj)
            return pre + "(" + ",".join(self(x) for x in obj) + ")"
        if t is list:
            pre = self.label(obj)
            return pre + "[" + ",".join(self(x) for x in obj) + "]"
        if t is dict:
            pre = self.label(obj)
            return pre + "{" + ",".join(self(k) + ":" + self(v) for k, v in obj.items()) + "}"
        if t in (set, frozenset):
            if self.proto < 4:
                return self.reduce(obj, t, (list(obj),))
            pre = self.label(obj)
            tag = "s" if t is set else "f"
            return pre + tag + "{" + ",".join(self(x) for x in obj) + "}"
        if isinstance(obj, type) or callable(obj) and hasattr(obj, "__qualname__"):
            return self.label(obj) + "G(%s|%s)" % (obj.__module__, obj.__qualname__)
        red = copyreg.dispatch_table.get(t)
        rv = red(obj) if red else obj.__reduce_ex__(self.proto)
        return self.reduce(obj, *rv)

    def reduce(self, obj, func, args, state=None, listitems=None, dictitems=None, setter=None):
        pre = self.label(obj)
        name = getattr(func, "__name__", "")
        if self.proto >= 2 and name == "__newobj_ex__":
            cls, a, kw = args
            out = "X(%s,%s,%s)" % (self(cls), self(a), self(kw))
        elif self.proto >= 2 and name == "__newobj__":
            rest = args[1:]
            self.keep.append(rest)
            out = "O(%s,%s)" % (self(args[0]), self(rest))
        else:
            self.keep.append(args)
            out = "R(%s,%s)" % (self(func), self(args))
        for x in listitems or ():
            out += ".a(%s)" % self(x)
        for k, v in dictitems or ():
            out += ".s(%s,%s)" % (self(k), self(v))
        if state is not None:
            out += ".b(%s)" % self(state)
        return pre + out


def values():
    """(name, value, protocols) of the fixtures."""
    v = []
    for name, x in [("none", None), ("true", True), ("false", False)]:
        v.append((name, x))
    ints = [0, 255, 256, 65535, 65536, -1, 2**31 - 1, -(2**31), 2**31, 2**63 - 1, -(2**63),
            2**64, 2**100, -(2**100)]
    for i, x in enumerate(ints):
        v.append(("int%d" % i, x))
    floats = [0.0, -0.0, 1.5, 1e308, float("inf"), float("nan")]
    for i, x in enumerate(floats):
        v.append(("float%d" % i, x))
    v += [("str_empty", ""), ("str_ascii", "hello"), ("str_300", "x" * 300),
          ("str_utf8", "h\u00e9llo w\u00f6rld \u20ac\U0001d11e"),
          ("str_surrogate", "a\udc80b"),
          ("bytes_empty", b""), ("bytes_300", bytes(range(150)) * 2),
          ("bytes_70000", b"x" * 70000), ("bytearray", bytearray(b"abc")),
          ("bytearray_empty", bytearray()),
          ("tuple0", ()), ("tuple1", (1,)), ("tuple2", (1, "a")), ("tuple3", (1, 2, 3)),
          ("tuple4", (1, 2, 3, 4)), ("tuple_nested", ((1,), ((2, 3), ()), [()])),
          ("list_empty", []), ("list1", [1]), ("list3", [1, "a", None]),
          ("list1001", list(range(1001))),
          ("dict_empty", {}), ("dict1", {"a": 1}), ("dict2", {"a": 1, "b": [1, 2]}),
          ("dict1001", {i: -i for i in range(1001)}),
          ("dict1000", {i: i for i in range(1000)}),
          ("set1000", set(range(1000))),
          ("set_empty", set()), ("set3", {1, 2, 3}),
          ("frozenset_empty", frozenset()), ("frozenset2", frozenset({1, 2})),
          ("shared_str", ("a", "a"))]
    x = [1]
    v.append(("shared_list", [x, x]))
    rec = []
    rec.append(rec)
    v.append(("recursive_list", rec))
    d = {}
    d["self"] = d
    v.append(("recursive_dict", d))
    lst = []
    t = (lst, 5)
    lst.append(t)
    v.append(("tuple_via_list", t))
    big = []
    tb = (1, 2, 3, 4, big)
    big.append(tb)
    v.append(("tuple4_via_list", tb))
    v += [("decimal", decimal.Decimal("1.5")),
          ("ordereddict", collections.OrderedDict([("a", 1), ("b", 2)])),
          ("complex", complex(1, 2)), ("exception", ValueError("boom")),
          ("mixed", (-1, 65536, 2**31, -(2**63), 2**100, 1.5, b"ab", True, False,
                     bytearray(b"z"), [1, 2], {3}, frozenset({4}), ("a", "a")))]
    return v


def manager_messages():
    """The messages of the reference recording, as ForkingPickler.dumps
    (the default protocol) makes them."""
    ident = "7f6b8de066d0"
    put = "put"
    return [("msg_create", (None, "create", ("get_task_queue",), {})),
            ("msg_get", (ident, "get", (), {"timeout": 1})),
            ("msg_put_70000", (ident, "put", (b"x" * 70000,), {"block": True, "timeout": 5})),
            ("msg_put_put", (ident, put, (put,), {})),
            ("msg_return_none", ("#RETURN", None)),
            ("msg_return_int", ("#RETURN", 9958))]


def c_literal(b):
    out, line = [], '"'
    for c in b:
        line += "\\x%02x" % c
        if len(line) > 80:
            out.append(line + '"')
            line = '"'
    out.append(line + '"')
    return "\n\t\t".join(out)


def fixture(name, proto, pk, expect):
    """A C initializer; a long run of one byte is cut out (run_at)."""
    at, runlen, runbyte = 0, 0, 0
    i = 0
    while i < len(pk):
        j = i
        while j < len(pk) and pk[j] == pk[i]:
            j += 1
        if j - i > 256 and j - i > runlen:
            at, runlen, runbyte = i, j - i, pk[i]
        i = j
    lit = pk[:at] + pk[at + runlen:] if runlen else pk
    frames = ",".join(str(pos) for op, _, pos in pickletools.genops(pk) if op.name == "FRAME")
    return ('\t{ "%s", %d, %d, %d, 0x%02x, %d, "%s",\n\t\t%s,\n\t\t"%s" },'
            % (name, proto, len(lit), at, runbyte, runlen, frames, c_literal(lit), expect))


def main():
    rows = []
    for name, x in values():
        for proto in (2, 3, 4, 5):
            pk = pickle.dumps(x, proto)
            if not name.startswith(("float5", "recursive", "exception")) and "via" not in name:
                assert pickle.loads(pk) == x, name
            rows.append(fixture("%s_p%d" % (name, proto), proto, pk, Describe(proto)(x)))
    for name, x in manager_messages():
        pk = bytes(ForkingPickler.dumps(x))
        rows.append(fixture(name, pk[1], pk, Describe(pk[1])(x)))
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "pickle_fixtures.h"), "w") as f:
        f.write("/* Generated by pickle_fixtures.py with Python %d.%d: do not edit. */\n"
                % sys.version_info[:2])
        f.write("/* clang-format off */\n")
        f.write("struct pk_fixture {\n\tconst char *name;\n\tint proto;\n\tsize_t litlen;\n"
                "\tsize_t run_at;\n\tuint8_t run_byte;\n\tsize_t run_len;\n"
                "\tconst char *frames; /* offsets of the FRAME opcodes */\n"
                "\tconst char *lit;\n\tconst char *expect;\n};\n\n")
        f.write("static const struct pk_fixture pk_fixtures[] = {\n")
        f.write("\n".join(rows))
        f.write("\n};\n/* clang-format on */\n")


main()
