import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from os1.errors import InputError
from os1.memory.conversations import Session, load, parse

OURS = {
    "sessions": [
        {
            "id": "s1",
            "started_at": "2026-01-05T20:00:00",
            "turns": [
                {"id": "t1", "speaker": "user", "text": "I moved to Berlin last month."},
                {"id": "t2", "speaker": "assistant", "text": "Berlin! How is it?"},
                {"id": "t3", "speaker": "Anna", "text": "He misses Lisbon.", "at": "2026-01-05T20:02:10+00:00"},
            ],
        }
    ]
}

CHATGPT = [
    {
        "id": "c1",
        "title": "Trip",
        "create_time": 1767643200.0,
        "mapping": {
            "root": {"message": None},
            "sys": {"message": {"id": "m0", "author": {"role": "system"}, "content": {"parts": ["be nice"]},
                                "create_time": 1767643200.0}},
            "b": {"message": {"id": "m2", "author": {"role": "assistant"}, "content": {"parts": ["Where to?"]},
                              "create_time": 1767643260.0}},
            "a": {"message": {"id": "m1", "author": {"role": "user"}, "content": {"parts": ["I'm planning a trip."]},
                              "create_time": 1767643230.0}},
        },
    }
]  # fmt: skip


def read(path: Path) -> list[Session]:
    return parse(load(path), str(path))


def write(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "history.json"
    path.write_text(json.dumps(data))
    return path


def test_os1_format_keeps_speakers_ids_and_times(tmp_path: Path) -> None:
    (session,) = read(write(tmp_path, OURS))
    assert session.id == "s1" and session.started_at == datetime(2026, 1, 5, 20, 0, tzinfo=UTC)
    assert [(t.id, t.speaker) for t in session.turns] == [("t1", "user"), ("t2", "assistant"), ("t3", "Anna")]
    assert session.turns[1].at == datetime(2026, 1, 5, 20, 0, 30, tzinfo=UTC)  # 30 s after the turn before
    assert session.turns[2].at == datetime(2026, 1, 5, 20, 2, 10, tzinfo=UTC)


def test_chatgpt_export_is_read_in_time_order_without_system_messages(tmp_path: Path) -> None:
    (session,) = read(write(tmp_path, CHATGPT))
    assert [(t.id, t.speaker, t.text) for t in session.turns] == [
        ("m1", "user", "I'm planning a trip."),
        ("m2", "assistant", "Where to?"),
    ]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"sessions": [', "is not valid JSON (line 1, column 15"),
        ('{"chats": []}', "neither os1's import format"),
        ('{"sessions": [{"turns": []}]}', 'session 1 has no "started_at"'),
        (
            '{"sessions": [{"started_at": "2026-01-05T20:00", "turns": [{"speaker": "user", "text": ""}]}]}',
            "session 1, turn 1: every turn needs",
        ),
        ('{"sessions": [{"started_at": "yesterday", "turns": []}]}', "'yesterday' is not an ISO date"),
    ],
)
def test_a_bad_file_is_refused_with_the_reason(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(InputError) as caught:
        read(path)
    assert message in str(caught.value)
