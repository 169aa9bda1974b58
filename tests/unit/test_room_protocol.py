"""The pure parts of the room benchmark's Streamlit protocol (tests/bench/room.py), without a
server: reading widgets from ForwardMsg deltas recorded from a real `streamlit run` of the app
(Streamlit 1.67, a scale-10 demo centre) and building the BackMsgs the browser would send."""

from __future__ import annotations

import asyncio
import base64
import json

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from tests.bench import room

# The board's "Næste ▶" (drawn in the board's fragment), as the server sent it.
NEXT_BUTTON = (
    "CiA2MzdjOTNjZTQ3NjU2Mjc2MzYwODkwNGRjNjg2MjYxNhIpEgUABAACACIgMGQ3YzBiZTE2YzViOWU2NWM0NmQwZj"
    "IwMTI2OGU3ZjMqdBpQmgFICiokJElELTA3N2Y4ZTk2ZTIwMTg2MmI2NDRlYzI3YmU3YWEyOTcwLW5leHQSCk7DpnN0"
    "ZSDilrY6B3ByaW1hcnlaBXJpZ2h00gMCEAFCIDQ0YjA1MGY5NGQ4NjNhNGEzZTYxYzg3MzA3ZThkZTZm"
)
# Referat's "Uddybning af konklusionen" (the live_text component), its JS and CSS left out.
CONCLUSION_BOX = (
    "CiA5NGViYmU2MTFjOGRjN2FiZmRhMzRjYjE4NTg5YmMxNxIsCAESBgADAAEBBSIgNjZhYThmYzJiY2FmMDcxY2IxNW"
    "FhN2VjYjY2ZTU4MDIq0wMa0APKAwIQAdIDAggB2gPCAwpGJCRJRC0xNTI3N2IzMGI3MDRkMDEzNGZkZjczMTkxNDc4"
    "NTJiOS1saXZlLXRleHQtcmVmMTIzMzFfZGVjaXNpb25fdGV4dBIfa29uZmVyZW5jZXRhdmxlbl9saXZlX3RleHRfYX"
    "JlYRoAIgAyADoAQgBIAVLKAnsidmFsdWUiOiAiIiwgInJldiI6IDAsICJsYWJlbCI6ICJVZGR5Ym5pbmcgYWYga29u"
    "a2x1c2lvbmVuIiwgImhlbHAiOiAiIiwgInBsYWNlaG9sZGVyIjogIkZ4IGh2YWQgZGVyIHNrYWwgc2tlIGZcdTAwZj"
    "hyc3QsIGVsbGVyIGh2YWQga29uZmVyZW5jZW4gYW5iZWZhbGVyIG1pa3JvdGVhbWV0LiIsICJtYXhDaGFycyI6IG51"
    "bGwsICJoZWlnaHQiOiA2NiwgImRpc2FibGVkIjogZmFsc2UsICJkcmFmdEtleSI6ICJyZWYxMjMzMV9kZWNpc2lvbl"
    "90ZXh0IiwgImJlbG9uZ3NUbyI6IDEyMzMxLCAic2Vzc2lvbiI6ICI0NzQ5YjBiOS1kMmYzLTQyOTgtOGNlOS0xZWIw"
    "MTY2N2ZmYjQifQ=="
)


def recorded(data: str) -> ForwardMsg:
    msg = ForwardMsg()
    msg.ParseFromString(base64.b64decode(data))
    return msg


def test_the_next_button_is_read_from_its_delta() -> None:
    widget = room.widget_from_delta(recorded(NEXT_BUTTON), run=7)
    assert widget is not None
    assert widget.kind == "button"
    assert widget.label == "Næste ▶"
    assert widget.id.startswith("$$ID-") and widget.id.endswith("-next")
    assert widget.fragment_id == "44b050f94d863a4a3e61c87307e8de6f"  # clicks rerun the fragment
    assert widget.path == (0, 4, 0, 2, 0)
    assert widget.run == 7
    assert not widget.disabled


def test_the_live_text_box_is_read_with_its_data() -> None:
    widget = room.widget_from_delta(recorded(CONCLUSION_BOX))
    assert widget is not None
    assert widget.kind == "bidi_component"
    assert widget.label == "Uddybning af konklusionen"
    assert widget.id.endswith("-live-text-ref12331_decision_text")
    assert widget.data["draftKey"] == "ref12331_decision_text"
    assert widget.data["belongsTo"] == 12331
    assert widget.fragment_id == ""


def test_find_picks_by_label_and_draft_key_and_skips_disabled() -> None:
    button = room.widget_from_delta(recorded(NEXT_BUTTON), run=1)
    box = room.widget_from_delta(recorded(CONCLUSION_BOX), run=2)
    assert button is not None and box is not None
    widgets = [button, box]
    assert room.find(widgets, kind="button", label="Næste ▶") is button
    assert room.find(widgets, kind="button", label="◀ Forrige") is None
    assert room.find(widgets, kind="bidi_component", draft_key_part="_decision_text") is box
    assert room.find(widgets, kind="bidi_component", draft_key_part="_history_sketch") is None
    # another components.v2 element (no draftKey, e.g. the page-language one) is never a box
    other = room.Widget(kind="bidi_component", id="$$ID-x-page_language", run=3)
    assert room.find([*widgets, other], kind="bidi_component", draft_key_part="") is box
    button.disabled = True
    assert room.find(widgets, kind="button", label="Næste ▶") is None


def test_a_delta_without_a_widget_gives_none() -> None:
    msg = ForwardMsg()
    msg.delta.new_element.markdown.body = "**Sager**"
    assert room.widget_from_delta(msg) is None
    msg = ForwardMsg()
    msg.script_finished = ForwardMsg.FINISHED_SUCCESSFULLY
    assert room.widget_from_delta(msg) is None


def test_an_exception_in_a_delta_is_an_error() -> None:
    msg = ForwardMsg()
    msg.delta.new_element.exception.type = "OperationalError"
    msg.delta.new_element.exception.message = "database is locked"
    assert room.exception_in_delta(msg) == "OperationalError: database is locked"
    assert room.exception_in_delta(recorded(NEXT_BUTTON)) is None


def test_a_click_is_a_rerun_with_a_trigger_in_the_buttons_fragment() -> None:
    button = room.widget_from_delta(recorded(NEXT_BUTTON))
    assert button is not None
    msg = room.rerun_message(query_string="som=HJA", page_name="konference",
                             page_script_hash="abc", widgets=[room.trigger(button.id)],
                             fragment_id=button.fragment_id)
    sent = BackMsg()
    sent.ParseFromString(msg.SerializeToString())
    assert sent.WhichOneof("type") == "rerun_script"
    state = sent.rerun_script
    assert (state.query_string, state.page_name, state.page_script_hash) == (
        "som=HJA", "konference", "abc")
    assert state.fragment_id == button.fragment_id
    assert not state.is_auto_rerun
    [widget] = state.widget_states.widgets
    assert widget.id == button.id
    assert widget.WhichOneof("value") == "trigger_value" and widget.trigger_value


def test_typing_sends_the_components_state_as_json() -> None:
    box = room.widget_from_delta(recorded(CONCLUSION_BOX))
    assert box is not None
    state = room.typed_report(box, "Fortsætter forløbet.", "1-0.5")
    assert state.id == box.id
    assert state.WhichOneof("value") == "json_value"
    assert json.loads(state.json_value) == {"typed": {
        "text": "Fortsætter forløbet.", "stamp": "1-0.5",
        "key": "ref12331_decision_text", "for": 12331}}
    assert room.text_value("w", "abc").string_value == "abc"


def test_a_timer_rerun_names_its_fragment() -> None:
    msg = room.rerun_message(query_string="", page_name="konference", fragment_id="f1",
                             auto=True)
    assert msg.rerun_script.is_auto_rerun
    assert msg.rerun_script.fragment_id == "f1"
    assert not msg.rerun_script.widget_states.widgets


def test_a_session_follows_runs_pages_and_stale_elements() -> None:
    session = room.Session("ws://127.0.0.1:1", "/konference", {"som": "HJA"}, "leader")
    assert (session.page_name, session.query_string) == ("konference", "som=HJA")

    def start(*fragments: str) -> None:
        msg = ForwardMsg()
        msg.new_session.page_script_hash = "main-script"
        msg.metadata.run.fragment_ids.extend(fragments)
        session.handle(msg)

    def finish(status: int) -> None:
        msg = ForwardMsg()
        msg.script_finished = status
        session.handle(msg)

    start()
    navigation = ForwardMsg()
    navigation.navigation.page_script_hash = "konference-page"
    session.handle(navigation)
    session.handle(recorded(NEXT_BUTTON))
    session.handle(recorded(CONCLUSION_BOX))
    finish(ForwardMsg.FINISHED_SUCCESSFULLY)
    assert session.ready.is_set()
    assert session.page_hash == "konference-page"  # not new_session's main script
    assert len(session.widgets()) == 2
    # a run of the board's fragment that does not draw the button again: the button is gone,
    # the box (outside the fragment) stays
    start("44b050f94d863a4a3e61c87307e8de6f")
    finish(ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY)
    assert [w.kind for w in session.widgets()] == ["bidi_component"]
    start()
    finish(ForwardMsg.FINISHED_SUCCESSFULLY)
    assert session.widgets() == []
    info = ForwardMsg()
    info.page_info_changed.query_string = "som=HJA&sag=12331"
    session.handle(info)
    assert session.query_string == "som=HJA&sag=12331"


def test_a_click_in_a_fragment_is_answered_by_that_fragments_run() -> None:
    session = room.Session("ws://127.0.0.1:1", "/konference", {}, "leader")
    session.run = 4
    session.waiting = asyncio.get_event_loop_policy().new_event_loop().create_future()
    session.wait_from_run = 4
    session.wait_fragment = "board"
    session.run, session.run_fragments = 5, ("clock",)  # the clock's timer run: not the click's
    assert not session.answers_the_wait()
    session.run, session.run_fragments = 6, ("board",)
    assert session.answers_the_wait()
    session.run, session.run_fragments = 6, ()  # a full run answers any change
    assert session.answers_the_wait()
    session.wait_from_run = 6  # begun before the change was sent
    assert not session.answers_the_wait()
