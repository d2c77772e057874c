"""The CSV import as Japanese offices save it: cp932 or UTF-8 (detected or chosen, never garbled), and
phone numbers stored in E.164 — through the CLI, the console's upload form and the customer form."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.cli import main
from bot.config import Settings
from bot.console import validate
from storage.db import Database
from storage.models import Booking, Customer
from tests.console.support import Session, add_agent, count, running

HEADER = "reference,clinic,kind,service_at,customer_email,customer_name,customer_phone,customer_timezone"
# 表 and ソ end in the byte 0x5C (a backslash in ASCII), 髙 is an IBM extension and ① an NEC one: what
# plain Shift_JIS codecs get wrong and Windows' cp932 writes.
JAPANESE = [
    f"{HEADER}",
    "JP-1,表参道ソフィアクリニック,surgery,2027-02-01 10:00,hanako@example.jp,山田 花子,090-1234-5678,",
    "JP-2,銀座　髙橋美容外科 ①号院,consultation,2027-02-02 11:00,ichiro@example.jp,髙橋 一郎,"
    "０３－１２３４－５６７８,Asia/Tokyo",
    "JP-3,新宿スキンクリニック～西口,treatment,2027-02-03 12:00,hanako@example.jp,,,",
]
CP932 = "\r\n".join(JAPANESE).encode("cp932") + b"\r\n"  # what Excel's plain "CSV" writes in Japan
HALF_WIDTH = f"{HEADER}\r\nJP-9,ｷﾞﾝｻﾞｸﾘﾆｯｸ,surgery,2027-03-01 10:00,kana@example.jp,ﾔﾏﾀﾞ ﾊﾅｺ,,\r\n".encode(
    "cp932"
)
# Chinese and Latin text in GBK and cp1252: their bytes happen to be valid cp932 (李伟 reads ﾀ﨩ｰ,
# Françoise reads Fran輟ise), and must be refused rather than imported as that.
GBK = f"{HEADER}\nCN-1,北京协和医院,surgery,2027-02-01 10:00,li@example.cn,李伟,,\n".encode("gbk")
EUC_JP = f"{HEADER}\nJP-5,銀座クリニック,surgery,2027-02-01 10:00,y@example.jp,山田 花子,,\n".encode("euc_jp")
LATIN = f"{HEADER}\nFR-1,Ginza Clinic,surgery,2027-02-01 10:00,f@example.fr,Françoise,,\n".encode("cp1252")


def cli(*args: str) -> int:
    return main(list(args))


async def stored(db: Database) -> tuple[dict[str, str], dict[str, tuple[str | None, str | None]]]:
    """Clinics by booking reference, and (name, phone) by customer e-mail."""
    async with db.read() as s:
        clinics = {b.reference: b.clinic for b in (await s.execute(select(Booking))).scalars()}
        people = {
            c.email or "": (c.full_name, c.phone) for c in (await s.execute(select(Customer))).scalars()
        }
    return clinics, people


def stored_now(url: str) -> tuple[dict[str, str], dict[str, tuple[str | None, str | None]]]:
    async def read() -> tuple[dict[str, str], dict[str, tuple[str | None, str | None]]]:
        db = Database(url)
        try:
            return await stored(db)
        finally:
            await db.dispose()

    return asyncio.run(read())


def check_japanese(clinics: dict[str, str], people: dict[str, tuple[str | None, str | None]]) -> None:
    """The rows of JAPANESE, stored as written (other rows may be there too)."""
    clinics = {k: v for k, v in clinics.items() if k in ("JP-1", "JP-2", "JP-3")}
    people = {k: v for k, v in people.items() if k in ("hanako@example.jp", "ichiro@example.jp")}
    assert clinics == {
        "JP-1": "表参道ソフィアクリニック",
        "JP-2": "銀座　髙橋美容外科 ①号院",
        "JP-3": "新宿スキンクリニック～西口",  # cp932's 0x8160 is U+FF5E, as Windows shows it
    }
    assert people == {
        "hanako@example.jp": ("山田 花子", "+819012345678"),
        "ichiro@example.jp": ("髙橋 一郎", "+81312345678"),
    }


def test_the_cli_imports_excels_japanese_csv(
    sqlite_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "予約.csv"
    path.write_bytes(CP932)
    assert cli("bookings", "import", str(path), "--database-url", sqlite_url) == 0
    out = capsys.readouterr().out
    assert "3 booking(s) created, 0 updated, 2 customer(s) created" in out
    assert "read as Shift_JIS (cp932)" in out
    check_japanese(*stored_now(sqlite_url))


def test_the_cli_imports_utf8_with_a_bom_and_takes_an_explicit_encoding(
    sqlite_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "utf8.csv"
    path.write_bytes("\r\n".join(JAPANESE).encode("utf-8-sig"))
    assert cli("bookings", "import", str(path), "--encoding", "cp932", "--database-url", sqlite_url) == 1
    assert "line 1: the file starts with a UTF-8 mark: choose UTF-8 or Automatic" in capsys.readouterr().err
    damaged = tmp_path / "damaged.csv"
    damaged.write_bytes("\r\n".join(JAPANESE).encode("utf-8-sig") + "\r\nJP-4,渋谷".encode("cp932"))
    assert cli("bookings", "import", str(damaged), "--database-url", sqlite_url) == 1
    assert "damaged.csv: line 5: the file starts as UTF-8 but is not UTF-8" in capsys.readouterr().err
    assert cli("bookings", "import", str(path), "--encoding", "utf-8", "--database-url", sqlite_url) == 0
    assert "read as UTF-8" in capsys.readouterr().out
    check_japanese(*stored_now(sqlite_url))

    kana = tmp_path / "kana.csv"
    kana.write_bytes(HALF_WIDTH)
    assert cli("bookings", "import", str(kana), "--database-url", sqlite_url) == 1
    assert "kana.csv: line 2: the file is neither UTF-8 nor Shift_JIS" in capsys.readouterr().err
    assert cli("bookings", "import", str(kana), "--encoding", "utf-8", "--database-url", sqlite_url) == 1
    assert "kana.csv: line 2: the file is not UTF-8 text" in capsys.readouterr().err
    assert cli("bookings", "import", str(kana), "--encoding", "Shift_JIS", "--database-url", sqlite_url) == 0
    clinics, people = stored_now(sqlite_url)
    assert (clinics["JP-9"], people["kana@example.jp"][0]) == ("ｷﾞﾝｻﾞｸﾘﾆｯｸ", "ﾔﾏﾀﾞ ﾊﾅｺ")
    with pytest.raises(SystemExit) as exited:
        cli("bookings", "import", str(kana), "--encoding", "latin-1", "--database-url", sqlite_url)
    assert exited.value.code == 2
    assert "'latin-1' is not one of auto, utf-8, cp932" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("data", "line"),
    [(GBK, 2), (LATIN, 2), (EUC_JP, 2), (b"reference,clinic\r\n\x81\x20,x\r\n", 2)],
    ids=["gbk", "cp1252", "euc-jp", "broken-cp932"],
)
def test_a_file_in_neither_encoding_is_refused_and_nothing_is_imported(
    data: bytes, line: int, sqlite_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "other.csv"
    path.write_bytes(data)
    assert cli("bookings", "import", str(path), "--database-url", sqlite_url) == 1
    err = capsys.readouterr().err
    assert f"other.csv: line {line}: the file is neither UTF-8 nor Shift_JIS (cp932)" in err, err
    assert 'save it from Excel as "CSV UTF-8 (comma delimited)"' in err
    assert "nothing was imported" in err
    assert stored_now(sqlite_url) == ({}, {})


async def upload(ann: Session, data: bytes, **form: str) -> tuple[int, str]:
    files = {"file": ("bookings.csv", data, "text/csv")}
    response = await ann.post("/console/bookings/import", form, files=files)
    return response.status_code, response.text


async def test_the_upload_form_detects_or_is_told_the_encoding(console_settings: Settings) -> None:
    async with running(console_settings) as app:
        await add_agent(app.db, "ann@agency.example", "Ann")
        ann = await app.login("ann@agency.example")
        form = await ann.client.get("/console/bookings/import")
        assert '<select name="encoding">' in form.text and "Shift_JIS (cp932)</option>" in form.text
        for data in (GBK, LATIN):
            status, page = await upload(ann, data)
            assert (
                status == 400
                and "ファイルは UTF-8 でも、通常の日本語として読める Shift_JIS（cp932）でもありません" in page
            )
        assert await count(app.db, Booking) == 0 and await count(app.db, Customer) == 0
        status, page = await upload(ann, CP932, encoding="utf-8")
        assert status == 400 and "ファイルは UTF-8 のテキストではありません" in page
        assert '<option value="utf-8" selected>' in page  # the choice stays for the next try
        status, page = await upload(ann, CP932)
        assert (
            status == 200
            and "予約の新規作成3件" in page
            and "ファイルは Shift_JIS (cp932) として読み込みました" in page
        )
        check_japanese(*await stored(app.db))
        status, page = await upload(ann, HALF_WIDTH)
        assert status == 400 and "Shift_JIS（cp932）を選択してください" in page
        status, page = await upload(ann, HALF_WIDTH, encoding="cp932")
        assert status == 200 and "予約の新規作成1件" in page
        bom = "\r\n".join(JAPANESE).encode("utf-8-sig")
        status, page = await upload(ann, bom, update="on")
        assert status == 200 and "更新3件" in page and "ファイルは UTF-8 として読み込みました" in page
        check_japanese(*await stored(app.db))
        status, page = await upload(ann, CP932, encoding="ebcdic")
        assert status == 400 and await count(app.db, Booking) == 4


NUMBERS = [
    # (as written, the customer's time zone, E.164)
    ("090-1234-5678", "", "+819012345678"),
    ("03-1234-5678", "Asia/Tokyo", "+81312345678"),
    ("０９０－１２３４－５６７８", "", "+819012345678"),
    ("090ー1234ー5678", "", "+819012345678"),
    ("+81 90-1234-5678", "Asia/Shanghai", "+819012345678"),
    ("138 0013 8000", "Asia/Shanghai", "+8613800138000"),
    ("+86 138-0013-8000", "", "+8613800138000"),
    ("0912-345-678", "Asia/Taipei", "+886912345678"),
    ("+886 912 345 678", "", "+886912345678"),
    ("9123 4567", "Asia/Hong_Kong", "+85291234567"),
    ("+852 9123 4567", "Asia/Tokyo", "+85291234567"),
    ("010-1234-5678", "Asia/Seoul", "+821012345678"),
    ("＋８２　１０－１２３４－５６７８", "", "+821012345678"),
    ("081 234 5678", "Asia/Bangkok", "+66812345678"),
    ("+66 81 234 5678", "", "+66812345678"),
    ("091 234 56 78", "Asia/Ho_Chi_Minh", "+84912345678"),
    ("0912345678", "Asia/Saigon", "+84912345678"),
    ("+84 91 234 5678", "", "+84912345678"),
]


@pytest.mark.parametrize(("written", "zone", "e164"), NUMBERS)
def test_phones_are_stored_in_e164(written: str, zone: str, e164: str) -> None:
    assert validate.phone(written, timezone=zone or None) == e164


@pytest.mark.parametrize(
    ("written", "zone", "reason"),
    [
        ("090-1234", "", "impossible phone number (too short): '090-1234' (read as a JP number, +81"),
        ("+81 00 0000 0000", "", "not a valid phone number: '+81 00 0000 0000'"),
        ("138 0013 8000", "", "not a valid phone number: '138 0013 8000' (read as a JP number"),
        ("0912-345-678", "Asia/Seoul", "(read as a KR number, +82"),
        ("+999 1234 5678", "", "unknown country code"),
        ("tel: ask reception", "", "not a phone number"),
        ("03-1234-5678 ext. 12", "", "an extension cannot be stored"),
    ],
)
def test_impossible_and_invalid_phones_are_refused(written: str, zone: str, reason: str) -> None:
    with pytest.raises(validate.FieldError) as refused:
        validate.phone(written, "customer_phone", timezone=zone or None)
    assert refused.value.name == "customer_phone" and reason in refused.value.reason


def test_the_import_stores_every_phone_in_e164_or_names_the_bad_line(
    sqlite_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [
        f"P-{i},Ginza Clinic,consultation,2027-04-01 10:00,p{i}@example.com,,{written},{zone}"
        for i, (written, zone, _) in enumerate(NUMBERS)
    ]
    path = tmp_path / "phones.csv"
    bad = [*rows[:3], "P-90,Ginza Clinic,surgery,2027-04-01 10:00,bad@example.com,,090-1234,", *rows[3:]]
    path.write_bytes("\r\n".join([HEADER, *bad]).encode("cp932"))
    assert cli("bookings", "import", str(path), "--database-url", sqlite_url) == 1
    err = capsys.readouterr().err
    assert "phones.csv: line 5: customer_phone: impossible phone number (too short): '090-1234'" in err
    assert "1 problem(s) in 19 row(s): nothing was imported" in err
    assert stored_now(sqlite_url) == ({}, {})
    path.write_bytes("\r\n".join([HEADER, *rows]).encode("cp932"))
    assert cli("bookings", "import", str(path), "--database-url", sqlite_url) == 0
    _, people = stored_now(sqlite_url)
    assert {email: phone for email, (_, phone) in people.items()} == {
        f"p{i}@example.com": e164 for i, (_, _, e164) in enumerate(NUMBERS)
    }


async def test_the_customer_form_stores_phones_in_e164(sqlite_settings: Settings) -> None:
    async with running(sqlite_settings) as app:
        await add_agent(app.db, "ann@agency.example", "Ann")
        ann = await app.login("ann@agency.example")
        made = await ann.post(
            "/console/customers/new", {"full_name": "山田 花子", "phone": "０９０－１２３４－５６７８"}
        )
        assert made.status_code == 303
        path = made.headers["location"]
        customer_id = int(path.rsplit("/", 1)[1])

        async def phone() -> str | None:
            async with app.db.read() as s:
                customer = await s.get(Customer, customer_id)
                assert customer is not None
                return customer.phone

        assert await phone() == "+819012345678"
        moved = await ann.post(
            path, {"full_name": "山田 花子", "phone": "010-1234-5678", "timezone": "Asia/Seoul"}
        )
        assert moved.status_code == 303 and await phone() == "+821012345678"
        wrong = await ann.post(path, {"full_name": "山田 花子", "phone": "090-1234"})
        assert wrong.status_code == 400 and "ありえない電話番号です（短すぎます）" in wrong.text
        assert await phone() == "+821012345678"
