"""The one way to show a time: stored UTC timestamps on the Danish clock (Europe/Copenhagen),
across both daylight-saving changes. Fixed instants only; nothing here reads the clock."""

import datetime as dt

import pytest

from conference.formatting import (
    local_clock,
    local_datetime,
    local_datetime_numeric,
    local_day,
    time_hm,
    to_local,
)

UTC = dt.UTC


@pytest.mark.parametrize(("utc", "shown"), [
    # summer time begins: last Sunday of March 2026, 01:00 UTC (02:00 local becomes 03:00)
    (dt.datetime(2026, 3, 29, 0, 59, tzinfo=UTC), "01:59"),
    (dt.datetime(2026, 3, 29, 1, 0, tzinfo=UTC), "03:00"),
    (dt.datetime(2026, 3, 29, 1, 1, tzinfo=UTC), "03:01"),
    # summer time ends: last Sunday of October 2026, 01:00 UTC (03:00 local becomes 02:00)
    (dt.datetime(2026, 10, 25, 0, 30, tzinfo=UTC), "02:30"),
    (dt.datetime(2026, 10, 25, 0, 59, tzinfo=UTC), "02:59"),
    (dt.datetime(2026, 10, 25, 1, 0, tzinfo=UTC), "02:00"),
    (dt.datetime(2026, 10, 25, 1, 30, tzinfo=UTC), "02:30"),
    # summer (UTC+2) and winter (UTC+1)
    (dt.datetime(2026, 7, 15, 8, 30, tzinfo=UTC), "10:30"),
    (dt.datetime(2026, 1, 15, 8, 30, tzinfo=UTC), "09:30"),
])
def test_a_stored_timestamp_is_shown_on_the_danish_clock(utc, shown) -> None:
    assert local_clock(utc) == shown
    # a naive timestamp (as SQLite can give back) is UTC too
    assert local_clock(utc.replace(tzinfo=None)) == shown
    assert local_datetime(utc).endswith(f" kl. {shown}")
    assert local_datetime_numeric(utc).endswith(f" {shown}")


def test_the_date_is_the_danish_day_and_written_in_danish() -> None:
    late = dt.datetime(2026, 12, 2, 23, 30, tzinfo=UTC)  # already 3 December in Denmark
    assert local_datetime(late) == "3. dec. 2026 kl. 00:30"
    assert local_datetime_numeric(late) == "03-12-2026 00:30"
    assert local_day(late) == dt.date(2026, 12, 3)
    assert local_datetime(dt.datetime(2026, 7, 15, 8, 30)) == "15. jul. 2026 kl. 10:30"


def test_the_same_instant_in_another_zone_shows_the_same_danish_time() -> None:
    new_york = dt.timezone(dt.timedelta(hours=-4))
    moment = dt.datetime(2026, 7, 15, 4, 30, tzinfo=new_york)  # 08:30 UTC
    assert local_clock(moment) == "10:30"
    assert to_local(moment).utcoffset() == dt.timedelta(hours=2)


def test_nothing_shows_as_nothing() -> None:
    assert local_clock(None) == local_datetime(None) == local_datetime_numeric(None) == ""
    assert time_hm(None) == ""


def test_time_hm_is_a_time_of_day_and_refuses_a_timestamp() -> None:
    assert time_hm(dt.time(9, 0)) == "09:00"
    assert time_hm(dt.time(0, 0)) == "00:00"
    with pytest.raises(TypeError, match="local_clock"):
        time_hm(dt.datetime(2026, 7, 15, 8, 30, tzinfo=UTC))


def test_exports_write_a_timestamp_on_the_danish_clock() -> None:
    import io

    from openpyxl import load_workbook

    from conference.exporting import ExportTable, to_csv, to_xlsx

    table = ExportTable("Tider", ["Tidspunkt"], [[dt.datetime(2026, 7, 15, 8, 30, tzinfo=UTC)],
                                                 [dt.datetime(2026, 1, 15, 8, 30)]])
    assert to_csv(table).decode("utf-8-sig").splitlines()[1:] == [
        "15-07-2026 10:30", "15-01-2026 09:30"]
    sheet = load_workbook(io.BytesIO(to_xlsx([table]))).active
    assert [c.value for (c,) in sheet.iter_rows(min_row=2)] == [
        dt.datetime(2026, 7, 15, 10, 30), dt.datetime(2026, 1, 15, 9, 30)]


def test_the_patient_history_shows_its_times_and_changed_timestamps_in_danish_time() -> None:
    from conference.patient_view import history_frame
    from conference.services.audit import HistoryEntry

    entry = HistoryEntry(
        dt.datetime(2026, 1, 15, 8, 30, tzinfo=UTC), "Lise", "update", "group_flag",
        [("handled_at", None, "2026-07-15T08:30:00.123456+00:00"),
         ("date", "2026-07-14", "2026-07-15")],
    )
    row = history_frame([entry]).iloc[0]
    assert row["Tidspunkt"] == "15. jan. 2026 kl. 09:30"
    assert row["Ændringer"] == (
        "handled_at:  → 15. jul. 2026 kl. 10:30; date: 2026-07-14 → 2026-07-15")
