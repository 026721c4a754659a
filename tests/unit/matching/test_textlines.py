"""The careful path numbers lines as DuckDB does and says what is wrong with each."""

from __future__ import annotations

import gzip
from pathlib import Path

from entente.matching.textlines import MAX_LINE_CHARS, Item, iter_array, iter_lines


def _lines(path: Path, start: int = 0, *, gz: bool = False) -> tuple[list[Item], list[str]]:
    broken: list[str] = []
    items = list(iter_lines(str(path), gzip_stream=gz, start=start, broken=broken.append))
    return items, broken


def test_lines_are_numbered_across_blank_crlf_and_cr_endings(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_bytes(b"\xef\xbb\xbfone\r\n\r\ntwo\n  \nthree\rfour\n\xff\n")
    items, broken = _lines(path)
    assert items == [
        Item(1, "one"),
        Item(3, "two"),
        Item(5, "three"),
        Item(6, "four"),
        Item(7, None, "not valid UTF-8"),
    ]
    assert broken == []
    assert [item.number for item in _lines(path, start=5)[0]] == [6, 7]


def test_an_overlong_line_is_skipped_whole(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text("a\n" + "b" * (MAX_LINE_CHARS + 10) + "\nc\n")
    items, _ = _lines(path)
    assert [(item.number, item.text) for item in items] == [(1, "a"), (2, None), (3, "c")]
    assert items[1].problem is not None


def test_a_truncated_gzip_stream_gives_its_whole_lines_then_breaks(tmp_path: Path) -> None:
    path = tmp_path / "x.json.gz"
    path.write_bytes(gzip.compress("".join(f"line {n}\n" for n in range(20000)).encode())[:-400])
    items, broken = _lines(path, gz=True)
    assert items
    assert [item.number for item in items] == list(range(1, len(items) + 1))
    assert all(item.text == f"line {item.number - 1}" for item in items)
    assert len(broken) == 1
    assert "truncated" in broken[0]


def test_array_elements_come_as_their_text(tmp_path: Path) -> None:
    path = tmp_path / "a.json"
    path.write_text('[\n {"a": [1, 2]},\n 3 ,"s", {"b": "]"}\n]\n')
    broken: list[str] = []
    items = list(iter_array(str(path), gzip_stream=False, start=1, broken=broken.append))
    assert items == [Item(2, "3"), Item(3, '"s"'), Item(4, '{"b": "]"}')]
    assert broken == []
    path.write_text('[{"a": 1}, {"a": ]')
    items = list(iter_array(str(path), gzip_stream=False, start=0, broken=broken.append))
    assert items == [Item(1, '{"a": 1}')]
    assert broken == ["invalid JSON in element 2: Expecting value"]
    path.write_text('{"a": 1}')
    assert list(iter_array(str(path), gzip_stream=False, start=0, broken=broken.append)) == []
    assert broken[-1] == "not a JSON array"
