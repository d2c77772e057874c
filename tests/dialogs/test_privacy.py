from __future__ import annotations

import pytest

from bot.dialogs import registry
from bot.dialogs.base import Facts, Frame, Push, Transition
from bot.effects import FileRequest
from bot.events import ChoiceIn
from tests.dialogs.edges import Edges
from tests.dialogs.support import Sim, bk, ctx, effects_of, facts, options_of, start, step, text_of

E = Edges("privacy")
D = registry.get("privacy")


def data_request(t: Transition, action: str) -> FileRequest:
    [request] = effects_of(t, FileRequest)
    assert (request.kind, request.dedupe, request.details["action"]) == ("data", "r1", action)
    assert "confirm it is really you" in text_of(t.replies)
    return request


def resume(f: Facts, result: dict[str, object], action: str) -> Transition:
    return D.resume(Frame("privacy", "identity", {"run": "r1", "action": action}), result, ctx("x", f))


@E("start", "see, correct or delete asked up front: not linked")
def _start_up_front_unlinked() -> Transition:
    t = start(
        "privacy", facts(linked=False), body="please delete all my data", text="please delete all my data"
    )
    assert isinstance(t.next, Push) and t.next.dialog == "identity"
    assert t.next.then is not None and t.next.then.data["action"] == "delete"
    assert "What would you like to do?" not in text_of(t.replies), "what was asked is not asked again"
    return t


@E("start", "asked up front, linked: see: request filed")
def _start_up_front_see() -> Transition:
    t = start(
        "privacy", facts(), body="I want to see my personal data", text="I want to see my personal data"
    )
    [request] = effects_of(t, FileRequest)
    assert request.kind == "data" and request.details["action"] == "see"
    return t


@E("start", "asked up front, linked: correct")
def _start_up_front_correct() -> Transition:
    t = start("privacy", facts(), body="I need to correct my data", text="I need to correct my data")
    assert isinstance(t.next, Frame) and t.next.step == "correction"
    return t


@E("start", "asked up front, linked: correct, the new value said up front: request filed")
def _start_up_front_new_value() -> Transition:
    said = "我换手机号了，麻烦把你们资料里我的电话改成139 1234 5678"
    t = start("privacy", facts(), body=said, text=said)
    [filed] = effects_of(t, FileRequest)
    assert filed.details == {"action": "correct", "note": said}
    assert "What should we correct?" not in text_of(t.replies), "what was said is not asked again"
    return t


@E("start", "asked up front, linked: delete")
def _start_up_front_delete() -> Transition:
    t = start(
        "privacy", facts(), body="個人情報を全部削除してください", text="個人情報を全部削除してください"
    )
    assert isinstance(t.next, Frame) and t.next.step == "confirm_delete" and not t.effects
    return t


@E("start", "policy in short")
def _start() -> Transition:
    t = start("privacy", facts(linked=False))
    said = text_of(t.replies)
    assert "name, date of birth, gender, phone, e-mail and past cosmetic treatments" in said
    assert "sensitive" in said and "after confirming it is really you" in said
    assert options_of(t.replies) == ["see", "correct", "delete", "menu"]
    return t


@E("choose", "see, correct or delete: not linked")
def _unlinked() -> Transition:
    t = step("privacy", "choose", ChoiceIn("delete"), facts(linked=False), run="r1")
    assert isinstance(t.next, Push) and t.next.dialog == "identity"
    assert t.next.then is not None and t.next.then.data["action"] == "delete"
    assert t.effects == (), "nothing is filed before the identity check"
    return t


@E("choose", "linked: see: request filed")
def _see() -> Transition:
    t = step("privacy", "choose", "I want to see my data", facts(), run="r1")
    data_request(t, "see")
    return t


@E("choose", "linked: correct")
def _correct() -> Transition:
    return step("privacy", "choose", ChoiceIn("correct"), facts(), run="r1")


@E("choose", "linked: correct, the new value said up front: request filed")
def _correct_with_value() -> Transition:
    t = step("privacy", "choose", "新號碼是0912-345-678", facts(), run="r1")
    [filed] = effects_of(t, FileRequest)
    assert filed.details == {"action": "correct", "note": "新號碼是0912-345-678"}
    return t


@E("choose", "linked: delete")
def _delete() -> Transition:
    return step("privacy", "choose", "3", facts(), run="r1")


@E("identity", "linked: see: request filed")
def _l_see() -> Transition:
    t = resume(facts(), {"linked": True}, "see")
    data_request(t, "see")
    return t


@E("identity", "linked: correct")
def _l_correct() -> Transition:
    return resume(facts(), {"linked": True}, "correct")


@E("identity", "linked: correct, the new value said up front: request filed")
def _l_correct_with_value() -> Transition:
    frame = Frame(
        "privacy", "identity", {"run": "r1", "action": "correct", "note": "my e-mail is now a@b.jp"}
    )
    t = D.resume(frame, {"linked": True}, ctx("x", facts()))
    [filed] = effects_of(t, FileRequest)
    assert filed.details["note"] == "my e-mail is now a@b.jp"
    return t


@pytest.mark.parametrize(
    "typed",
    [
        "my phone number has changed, it is now 090-1234-5678",
        "電話番号が変わりました。新しい番号は080-1111-2222です",
        "전화번호가 010-1234-5678로 바뀌었어요",
        "เบอร์โทรใหม่ 081-234-5678 ค่ะ",
        "em đổi số điện thoại rồi, số mới là 0912 345 678",
    ],
)
def test_a_correction_with_its_new_value_is_filed_at_once(typed: str) -> None:
    t = start("privacy", facts(), body=typed, text=typed)
    [filed] = effects_of(t, FileRequest)
    assert filed.details == {"action": "correct", "note": typed}


@E("identity", "linked: delete")
def _l_delete() -> Transition:
    return resume(facts(), {"linked": True}, "delete")


@E("identity", "not linked")
def _l_unlinked() -> Transition:
    t = resume(facts(linked=False), {"linked": False}, "see")
    assert t.effects == ()
    return t


@E("correction", "what to correct typed: request filed")
def _correction() -> Transition:
    t = step("privacy", "correction", "My phone is now +886 912 345 678", facts(), run="r1", action="correct")
    assert data_request(t, "correct").details["note"] == "My phone is now +886 912 345 678"
    return t


@E("confirm_delete", "send: request filed")
def _send() -> Transition:
    t = step("privacy", "confirm_delete", ChoiceIn("send"), facts(), run="r1", action="delete")
    data_request(t, "delete")
    return t


@E("confirm_delete", "keep my data")
def _keep() -> Transition:
    t = step("privacy", "confirm_delete", "no", facts(), run="r1", action="delete")
    assert t.effects == ()
    return t


test_transition = E.test()


@pytest.mark.parametrize(
    ("typed", "action"), [("削除してください", "delete"), ("修改我的资料", "correct"), ("xem dữ liệu", "see")]
)
def test_typed_requests_in_other_languages(typed: str, action: str) -> None:
    t = step("privacy", "choose", typed, facts(linked=False), run="r1")
    assert isinstance(t.next, Push) and t.next.then is not None and t.next.then.data["action"] == action


def test_unclear_request_is_re_asked() -> None:
    assert step("privacy", "choose", "see or delete?", facts(), run="r1").missed
    assert step("privacy", "choose", "hmm", facts(), run="r1").missed


def test_whole_request_goes_through_the_identity_check_first() -> None:
    sim = Sim(bookings=(bk(),))
    sim.send("privacy")
    sim.send(ChoiceIn("delete"))
    assert sim.where() == ("identity", "consent") and not sim.filed
    sim.send(ChoiceIn("consent_yes"))
    sim.send("BK-1001 1990-04-01")
    assert sim.where() == ("privacy", "confirm_delete")
    sim.send(ChoiceIn("send"))
    assert [r.details["action"] for r in sim.filed.values()] == ["delete"]


@pytest.mark.parametrize(
    ("typed", "action"),
    [
        ("could you show me what data you keep about me?", "see"),
        ("can you erase everything you have on me?", "delete"),
        ("私の個人情報を見せていただけますか？", "see"),
        ("登録情報を削除してもらいたいのですが、できますか？", "delete"),
        ("可以帮我删除我的个人资料吗？", "delete"),
        ("唔該俾我睇吓你哋有我咩資料？", "see"),
        ("제 개인정보 열람하고 싶은데 가능할까요?", "see"),
        ("제 정보 전부 삭제해 주실 수 있나요?", "delete"),
        ("ขอดูข้อมูลส่วนตัวของฉันได้ไหมคะ", "see"),
        ("ช่วยลบข้อมูลของผมทั้งหมดได้ไหมครับ", "delete"),
        ("xóa giúp em toàn bộ thông tin cá nhân được không ạ?", "delete"),
    ],
)
def test_a_request_asked_as_a_question_is_not_asked_again(typed: str, action: str) -> None:
    t = start("privacy", facts(linked=False), body=typed, text=typed)
    assert isinstance(t.next, Push) and t.next.dialog == "identity", typed
    assert t.next.then is not None and t.next.then.data["action"] == action


@pytest.mark.parametrize(
    "typed",
    [
        "who can see my before and after photos?",
        "can the clinic see my treatment history?",
        "私の写真は誰が見られますか？",
        "我的照片谁能看到？",
        "제 사진은 누가 볼 수 있나요?",
        "ใครดูรูปของฉันได้บ้างคะ",
        "ảnh của em thì ai được xem vậy ạ?",
    ],
)
def test_a_question_about_the_policy_is_answered_with_the_policy(typed: str) -> None:
    t = start("privacy", facts(linked=False), body=typed, text=typed)
    assert isinstance(t.next, Frame) and t.next.step == "choose", typed
