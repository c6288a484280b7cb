"""Raw objects kept in shared blocks: every event's JSON comes back as it was given,
before and after its block is compressed."""

from __future__ import annotations

import json

import pytest

from ktui.model.event import Event, from_core_v1
from ktui.model.rawblock import BLOCK, RawBlock, RawPacker


def texts(n: int) -> list[bytes]:
    return [json.dumps({"metadata": {"uid": f"u{i}", "name": "é" * (i % 5)}, "count": i},
                       ensure_ascii=False).encode() for i in range(n)]


def test_a_packer_fills_blocks_in_order_and_seals_the_full_ones() -> None:
    packer = RawPacker()
    raws = texts(2 * BLOCK + 5)
    placed = [packer.pack(raw) for raw in raws]
    blocks = list(dict.fromkeys(block for block, _ in placed))
    assert [len(block) for block in blocks] == [BLOCK, BLOCK, 5]
    assert [block.sealed for block in blocks] == [True, True, False]
    assert [index for _, index in placed] == [i % BLOCK for i in range(len(raws))]
    assert [block.get(index) for block, index in placed] == raws


def test_a_block_reads_the_same_before_and_after_sealing() -> None:
    block = RawBlock()
    raws = [*texts(7), b""]  # an empty text keeps its place
    indexes = [block.add(raw) for raw in raws]
    before = [block.get(i) for i in indexes]
    block.seal()
    assert block.sealed and before == raws
    assert [block.get(i) for i in indexes] == raws
    assert block.nbytes() < sum(map(len, raws))
    with pytest.raises(ValueError, match="sealed"):
        block.add(b"{}")


def test_a_single_block_and_the_events_that_refer_to_blocks() -> None:
    obj = {"metadata": {"uid": "u1", "namespace": "ns", "name": "n"}, "message": "hi"}
    assert RawBlock.single(b'{"a":1}').get(0) == b'{"a":1}'
    event = from_core_v1(obj)
    assert event.raw == obj and event.as_expired().raw == obj
    packer = RawPacker()
    block, index = packer.pack(json.dumps(obj).encode())
    assert Event(uid="u1", raw_block=block, raw_index=index).raw == obj
    assert Event(uid="u2").raw == {}


def test_each_event_gives_its_json_compressed_on_its_own_for_the_archive() -> None:
    import zlib

    packer = RawPacker()
    raws = texts(BLOCK + 3)
    events = [Event(uid=f"u{i}", raw_block=block, raw_index=index)
              for i, (block, index) in enumerate(map(packer.pack, raws))]
    assert [zlib.decompress(e.raw_compressed) for e in events] == raws  # sealed or not
    stored = events[5].raw_compressed
    back = Event(uid="u5", raw_block=RawBlock.compressed(stored))
    assert back.raw_compressed is stored and back.raw == json.loads(raws[5])
    assert Event(uid="none").raw_compressed == b""


def test_a_holding_packer_seals_its_full_blocks_on_release_and_holds_a_bounded_amount() -> None:
    raws = texts(6 * BLOCK)
    one_block = sum(map(len, raws[:BLOCK]))
    packer = RawPacker(hold_bytes=2 * one_block)  # room for two blocks, then the third
    packer.hold()
    placed = [packer.pack(raw) for raw in raws[: 4 * BLOCK]]
    blocks = list(dict.fromkeys(block for block, _ in placed))
    # the first blocks wait uncompressed until the bound is reached; past it, they seal
    assert [block.sealed for block in blocks] == [False, False, True, True]
    assert [block.get(index) for block, index in placed] == raws[: 4 * BLOCK]
    packer.release()
    assert all(block.sealed for block in blocks)
    assert [block.get(index) for block, index in placed] == raws[: 4 * BLOCK]
    # released: full blocks are sealed as they fill again
    later = list(dict.fromkeys(packer.pack(raw)[0] for raw in raws[4 * BLOCK :]))
    assert [block.sealed for block in later] == [True, True]
