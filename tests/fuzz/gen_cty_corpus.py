#!/usr/bin/env python3
"""Writes the seed corpus for fuzz_cty.c into corpus/cty/ (checked in; rerun after changing the schema).

The msgpack is assembled by hand (no msgpack module needed) for the schema in fuzz_cty.c:
id name category target auth_type credentials{key client_id} metadata{} models[{name version format}]
custom_headers{} tags<set> timeout is_shared extra<dynamic> pair[string,number] deployments<set>{name capacity}.
"""
import os
import struct

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "cty")
UNKNOWN = b"\xd4\x00\x00"
NIL = b"\xc0"


def s(x):
    b = x.encode() if isinstance(x, str) else x
    if len(b) < 32:
        return bytes([0xA0 | len(b)]) + b
    return b"\xd9" + bytes([len(b)]) + b


def binary(b):
    return b"\xc4" + bytes([len(b)]) + b


def arr(items):
    assert len(items) < 16
    return bytes([0x90 | len(items)]) + b"".join(items)


def mp(pairs):
    """pairs: list of (key, encoded value); keys sorted like the encoder does."""
    assert len(pairs) < 16
    return bytes([0x80 | len(pairs)]) + b"".join(s(k) + v for k, v in sorted(pairs))


def obj(d):
    return mp(list(d.items()))


def model(name, version=NIL, fmt=NIL):
    return obj({"name": s(name) if name else NIL, "version": version, "format": fmt})


def full(**over):
    d = {
        "id": s("/subscriptions/0/resourceGroups/rg/providers/Microsoft.CognitiveServices/accounts/a/projects/p/connections/c"[:31]),
        "name": s("gateway-conn"),
        "category": s("ApiManagement"),
        "target": s("https://apim.example.net/openai"),
        "auth_type": s("ApiKey"),
        "credentials": obj({"key": s("k"), "client_id": NIL}),
        "metadata": mp([("deploymentInPath", s("true")), ("inferenceAPIVersion", s("2024-10-21"))]),
        "models": arr([model("gpt-4o", s("2024-08-06"), s("OpenAI")), model("phi", NIL, s("Microsoft"))]),
        "custom_headers": mp([("x-api-version", s("1"))]),
        "tags": arr([s("b"), s("a")]),
        "timeout": b"\x1e",
        "is_shared": b"\xc3",
        "extra": NIL,
        "pair": arr([s("p"), b"\x02"]),
        "deployments": arr([obj({"name": s("d1"), "capacity": b"\xcc\xc8"})]),
    }
    d.update(over)
    return obj(d)


def write(name, data):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def main():
    os.makedirs(OUT, exist_ok=True)
    good = full()
    write("01_full.msgpack", good)
    write("02_plan_unknowns.msgpack", full(id=UNKNOWN, models=UNKNOWN, tags=arr([s("a"), UNKNOWN]),
                                           metadata=mp([("k", UNKNOWN)]),
                                           target=b"\xc7\x03\x0c\x81\x01\xc2"))
    write("03_all_null.msgpack", obj({k: NIL for k in ["id", "name", "category", "target", "auth_type", "credentials",
                                                       "metadata", "models", "custom_headers", "tags", "timeout",
                                                       "is_shared", "extra", "pair", "deployments"]}))
    write("04_empty_map.msgpack", b"\x80")
    tj = b'["object",{"a":"number","b":["list","string"]}]'
    write("05_dynamic.msgpack", full(extra=arr([binary(tj), obj({"a": s("123456789012345678901234567890"),
                                                                 "b": arr([s("x"), NIL])})])))
    write("06_numbers.msgpack", full(timeout=b"\xcb" + struct.pack(">d", 0.1),
                                     pair=arr([s("p"), s("1e-5")]),
                                     deployments=arr([obj({"name": s("d"), "capacity": b"\xcf" + b"\xff" * 8}),
                                                      obj({"name": s("e"), "capacity": b"\xca" + struct.pack(">f", 1.5)})])))
    write("07_truncated.msgpack", good[: len(good) // 2])
    write("08_wrong_type.msgpack", full(name=b"\x05"))
    write("09_too_many_attrs.msgpack", b"\x81" + s("id") + NIL)
    write("10_ext_len2.msgpack", full(name=b"\xd5\x00\x00\x00"))
    write("11_huge_array.msgpack", b"\xdd\xff\xff\xff\xff\xc0")
    write("12_deep.msgpack", b"\x91" * 40 + NIL)
    write("13_raw_state.json", '{"id":"/x","name":"gw","timeout":12345678901234567890123456789.000001,'
                               '"models":[{"name":"m","version":"1"}],"tags":["a","a"],"metadata":{"k":"v"},'
                               '"is_shared":"true","pair":["p",-0.5e-3]}')
    write("14_dynamic.json", '{"extra":{"value":{"n":[1,2.5]},"type":["object",{"n":["list","number"]}]},'
                             '"deployments":[{"name":"d","capacity":1e3}]}')
    write("15_bad_attr.json", '{"id":"x","legacy_attr":1,"timeout":1}')
    write("17_bad_number.json", '{"id":"x","timeout":01}')
    write("16_type.json", '["object",{"a":["set",["tuple",["string","dynamic"]]],"b":"bool"},["b"]]')


if __name__ == "__main__":
    main()
