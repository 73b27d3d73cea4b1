"""Check memory-sessions.json and memory-questions.json (stdlib only).

Run: python3 bench/data/check_dataset.py
Fails with an AssertionError on the first problem, else prints the counts.
"""

import json
import re
from collections import Counter
from datetime import datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
KINDS = {
    "fact": 35,
    "update": 25,
    "history": 15,
    "temporal": 25,
    "relationship": 20,
    "preference": 15,
    "event": 15,
    "multi": 10,
}


def iso(value, where):
    assert isinstance(value, str), f"{where}: not a string"
    try:
        dt = datetime.fromisoformat(value)
    except ValueError:
        raise AssertionError(f"{where}: not ISO: {value!r}") from None
    assert dt.tzinfo is None, f"{where}: has a timezone"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", value), f"{where}: expected YYYY-MM-DDTHH:MM:SS"
    return dt


def check_sessions(data):
    assert isinstance(data, dict) and set(data) == {"sessions"}, "top level must be {'sessions': [...]}"
    sessions = data["sessions"]
    assert isinstance(sessions, list) and len(sessions) >= 24, "need at least 24 sessions"
    turns, starts, prev = {}, {}, None
    for n, s in enumerate(sessions, 1):
        assert set(s) == {"id", "started_at", "turns"}, f"session keys: {sorted(s)}"
        sid = s["id"]
        assert sid == f"s{n:02d}", f"session id {sid} should be s{n:02d}"
        start = iso(s["started_at"], sid)
        assert start.year == 2026 and 1 <= start.month <= 10, f"{sid}: outside Jan-Oct 2026"
        if prev is not None:
            gap = (start - prev).total_seconds() / 86400
            assert 2 <= gap <= 21.5, f"{sid}: {gap:.1f} days after previous session"
        prev = start
        starts[sid] = start
        ts = s["turns"]
        assert 14 <= len(ts) <= 22, f"{sid}: {len(ts)} turns"
        for k, t in enumerate(ts, 1):
            assert set(t) == {"id", "speaker", "text"}, f"{sid} turn keys: {sorted(t)}"
            assert t["id"] == f"{sid}t{k:02d}", f"turn id {t['id']} should be {sid}t{k:02d}"
            assert t["id"] not in turns, f"duplicate turn id {t['id']}"
            want = "user" if k % 2 == 1 else "assistant"
            assert t["speaker"] == want, f"{t['id']}: speaker {t['speaker']}, expected {want}"
            assert isinstance(t["text"], str) and t["text"].strip() == t["text"] and t["text"], f"{t['id']}: bad text"
            turns[t["id"]] = (sid, t)
    return sessions, turns, starts


def check_questions(qs, turns, starts):
    assert isinstance(qs, list) and len(qs) >= 160, "need a list of at least 160 questions"
    seen, qtexts = set(), set()
    for q in qs:
        assert set(q) == {"id", "asked_at", "question", "answer_turn_ids", "kind"}, f"question keys: {sorted(q)}"
        qid = q["id"]
        assert re.fullmatch(r"q\d{3}", qid) and qid not in seen, f"bad or duplicate id {qid}"
        seen.add(qid)
        asked = iso(q["asked_at"], qid)
        assert q["kind"] in KINDS, f"{qid}: kind {q['kind']!r}"
        assert isinstance(q["question"], str) and q["question"].strip(), f"{qid}: empty question"
        key = (q["question"].strip().lower(), q["asked_at"])
        assert key not in qtexts, f"{qid}: duplicate question"
        qtexts.add(key)
        ids = q["answer_turn_ids"]
        assert isinstance(ids, list) and 1 <= len(ids) <= 3, f"{qid}: 1-3 answer ids"
        assert len(set(ids)) == len(ids), f"{qid}: repeated answer id"
        for tid in ids:
            assert tid in turns, f"{qid}: unknown turn {tid}"
            sid, _ = turns[tid]
            assert starts[sid] < asked, f"{qid}: answer {tid} is after asked_at"
        if q["kind"] == "multi":
            assert len({turns[t][0] for t in ids}) >= 2, f"{qid}: multi needs turns from 2+ sessions"
    return Counter(q["kind"] for q in qs)


def main():
    sessions_data = json.loads((HERE / "memory-sessions.json").read_text(encoding="utf-8"))
    questions = json.loads((HERE / "memory-questions.json").read_text(encoding="utf-8"))
    sessions, turns, starts = check_sessions(sessions_data)
    kinds = check_questions(questions, turns, starts)
    for kind, minimum in KINDS.items():
        assert kinds[kind] >= minimum, f"kind {kind}: {kinds[kind]} < {minimum}"

    speakers = Counter(t["speaker"] for _, t in turns.values())
    lens = [len(s["turns"]) for s in sessions]
    print(f"sessions: {len(sessions)}  ({sessions[0]['started_at']} .. {sessions[-1]['started_at']})")
    print(
        f"turns: {len(turns)}  (user {speakers['user']}, assistant {speakers['assistant']}; "
        f"per session {min(lens)}-{max(lens)})"
    )
    print(f"questions: {len(questions)}")
    for kind in KINDS:
        print(f"  {kind:<13}{kinds[kind]:>4}")
    cited = {tid for q in questions for tid in q["answer_turn_ids"]}
    print(f"distinct answer turns: {len(cited)}")
    print("OK")


if __name__ == "__main__":
    main()
