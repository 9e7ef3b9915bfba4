"""Refill dates, expected residual, discrepancy flag and refill-visit checks."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from carecoord.domain.errors import Severity, errors_only
from carecoord.domain.program import (
    OneTimeBolus,
    Program,
    PumpMode,
    RateUnit,
    Step,
    WeekdaySchedule,
    continuous_program,
    stopped_program,
)
from carecoord.domain.refills import (
    AlarmVolumeSource,
    DueLimit,
    ProgramPeriod,
    RefillVisit,
    alarm_volume_for,
    check_residual,
    choose_alarm_volume,
    describe_fill,
    discrepancy_threshold_ml,
    expected_residual_ml,
    forecast_refill,
    validate_refill_visit,
    volume_delivered_ml,
)
from carecoord.domain.settings import ClinicSettings
from tests.domain.pump_examples import example2, synchromed

D = Decimal
UTC = ZoneInfo("UTC")
PARIS = ZoneInfo("Europe/Paris")
SETTINGS = ClinicSettings()
FILL = dt.date(2026, 5, 4)  # no daylight-saving change within 200 days in UTC


def example1() -> Program:
    """Worked example 1: 2000 mcg/mL, 400 mcg/day = 0.2 mL/day."""
    return continuous_program(D(2000), D("0.2"), RateUnit.ML_PER_DAY)


# ---------------------------------------------------------------------------- worked examples


def test_worked_example_1_alarm_190_days_due_day_90():
    """40 mL at 0.2 mL/day: alarm day 190; stability 180; clinic maximum wins at day 90."""
    forecast = forecast_refill(FILL, D(40), example1(), UTC, SETTINGS)
    assert forecast.days_to_alarm == 190
    assert forecast.alarm_date == FILL + dt.timedelta(days=190)
    assert forecast.due_date == FILL + dt.timedelta(days=90)
    assert forecast.due_limit is DueLimit.CLINIC_MAXIMUM
    assert dict(forecast.candidates)[DueLimit.STABILITY] == FILL + dt.timedelta(days=180)
    assert forecast.due_reason == "clinic maximum interval of 90 days"


def test_worked_example_1_stability_caps_at_180_days():
    """Without the 90-day clinic maximum, stability (180 days [22]) caps the refill."""
    forecast = forecast_refill(
        FILL, D(40), example1(), UTC, SETTINGS.with_changes(max_refill_interval_days=365)
    )
    assert forecast.days_to_due == 180 and forecast.due_limit is DueLimit.STABILITY
    assert forecast.due_reason == "drug stability limit of 180 days"


def test_worked_example_1_with_a_dose_rate_schedule():
    """The same 400 mcg/day typed as mcg/h steps (15 x 16 h + 20 x 8 h) gives day 190 too."""
    program = Program(D(2000), PumpMode.FLEX, (Step(0, D(15)), Step(16 * 60, D(20))))
    assert forecast_refill(FILL, D(40), program, UTC, SETTINGS).days_to_alarm == 190


def test_worked_example_2_alarm_day_25_due_day_20():
    """20 mL, flex 360 mcg/day at 500 mcg/mL: 18 / 0.72 = 25 days; due day 20 (5-day margin)."""
    forecast = forecast_refill(FILL, D(20), example2(), PARIS, SETTINGS)
    assert forecast.days_to_alarm == 25
    assert forecast.days_to_due == 20
    assert forecast.due_limit is DueLimit.ALARM
    assert forecast.due_reason.startswith("5 days before the low-reservoir alarm")


def test_worked_example_3_expected_residual_and_flag():
    """Refill on day 21: expected 20 - 21 x 0.72 = 4.88 mL; 3.0 measured is flagged (> 1 mL)."""
    periods = [ProgramPeriod(dt.datetime(2026, 5, 4, 10, tzinfo=PARIS), example2())]
    expected = expected_residual_ml(
        D(20),
        dt.datetime(2026, 5, 4, 10, tzinfo=PARIS),
        dt.datetime(2026, 5, 25, 10, tzinfo=PARIS),
        periods,
        PARIS,
    )
    assert expected == D("4.88")
    check = check_residual(expected, D("3.0"), D(20), SETTINGS)
    assert check.difference_ml == D("-1.88")
    assert check.threshold_ml == D(1)
    assert check.flagged
    assert "1.88 mL less than expected" in check.message


def test_worked_example_3_by_dates():
    """Given as plain dates (start of each date), the interval is the same 21 days."""
    periods = [ProgramPeriod(dt.datetime(2026, 5, 4, tzinfo=PARIS), example2())]
    expected = expected_residual_ml(
        D(20), dt.date(2026, 5, 4), dt.date(2026, 5, 25), periods, PARIS
    )
    assert expected == D("4.88")


# ---------------------------------------------------------------------------- date rules


@pytest.mark.parametrize(
    ("ml_per_day", "days"),
    [("0.72", 25), ("0.7", 25), ("0.75", 24), ("18", 1), ("18.5", 0), ("0.0001", None)],
)
def test_alarm_date_rounds_down(ml_per_day, days):
    """Alarm = fill + whole days to the alarm volume, rounded down; exact end of day N = + N."""
    program = continuous_program(D(500), D(ml_per_day), RateUnit.ML_PER_DAY)
    forecast = forecast_refill(FILL, D(20), program, UTC, SETTINGS)
    assert forecast.days_to_alarm == days


def test_non_terminating_volume_is_exact():
    """1 mcg/h at 700 mcg/mL is 0.0342857... mL/day; 18 mL lasts exactly 525 days, not 524/526."""
    program = continuous_program(D(700), D(1))
    forecast = forecast_refill(FILL, D(20), program, UTC, SETTINGS)
    assert forecast.days_to_alarm == 525


def test_reservoir_at_or_below_alarm_is_due_now():
    """Filled to no more than the alarm volume: the alarm date is the fill date."""
    forecast = forecast_refill(FILL, D(2), example2(), UTC, SETTINGS)
    assert forecast.alarm_date == FILL
    assert forecast.due_date == FILL - dt.timedelta(days=5)


def test_stopped_pump_has_no_alarm_date():
    """No delivery: no alarm date; the clinic maximum sets the due date."""
    forecast = forecast_refill(FILL, D(20), stopped_program(D(500)), UTC, SETTINGS)
    assert forecast.alarm_date is None and forecast.days_to_alarm is None
    assert forecast.due_limit is DueLimit.CLINIC_MAXIMUM


def test_alarm_beyond_the_horizon_is_none():
    """A date too far to simulate is reported as unknown; the due date stays right."""
    program = continuous_program(D(2000), D("0.01"), RateUnit.ML_PER_DAY)
    forecast = forecast_refill(FILL, D(40), program, UTC, SETTINGS, horizon_days=200)
    assert forecast.alarm_date is None and forecast.days_to_due == 90


def test_alarm_volume_setting_moves_the_date():
    """A 4 mL alarm volume [21]: (20 - 4) / 0.72 = 22.2 days, rounded down to 22."""
    forecast = forecast_refill(FILL, D(20), example2(), UTC, SETTINGS, alarm_volume_ml=D(4))
    assert forecast.days_to_alarm == 22 and forecast.alarm_volume_ml == D(4)


def test_weekday_schedule_uses_each_days_real_volume():
    """A lighter weekend schedule makes the reservoir last longer than one weekday's rate says."""
    program = Program(
        D(500),
        PumpMode.FLEX,
        (Step(0, D(30)),),  # 1.44 mL/day
        weekday_schedules=(
            WeekdaySchedule(5, (Step(0, D(10)),)),  # 0.48 mL/day
            WeekdaySchedule(6, (Step(0, D(10)),)),
        ),
    )
    monday = dt.date(2026, 6, 1)
    # Mon-Fri 7.2 + Sat-Sun 0.96 = 8.16 mL in week 1; 18 mL = 2 weeks (16.32) + 1.68 more:
    # Mon 1.44 (17.76), Tue 1.44 reaches 19.2 > 18 during day 16.
    forecast = forecast_refill(monday, D(20), program, UTC, SETTINGS)
    assert forecast.days_to_alarm == 15


def test_spring_forward_day_counts_its_real_23_hours():
    """The 23-hour day delivers 0.92 mL, not 0.96 (CLINICAL.md section 5): 9.58 mL usable is
    reached on 29 Mar with 24-hour days, on 30 Mar in Paris (tests/domain/test_refills_dst.py)."""
    program = continuous_program(D(500), D(20))  # 0.96 mL/day, 0.04 mL/hour
    fill = dt.date(2026, 3, 20)
    volume = D(2) + D("9.58")  # reached during day 10 without DST (9.6 by its end)
    assert forecast_refill(fill, volume, program, UTC, SETTINGS).alarm_date == dt.date(2026, 3, 29)
    assert forecast_refill(fill, volume, program, PARIS, SETTINGS).alarm_date == dt.date(
        2026, 3, 30
    )


def test_fall_back_day_delivers_more_so_the_alarm_is_a_day_earlier():
    """The 25-hour day uses 0.04 mL more: reached on 25 Oct in Paris, 26 Oct in UTC."""
    program = continuous_program(D(500), D(20))
    fill = dt.date(2026, 10, 20)
    volume = D(2) + D("5.78")
    assert forecast_refill(fill, volume, program, UTC, SETTINGS).alarm_date == dt.date(2026, 10, 26)
    assert forecast_refill(fill, volume, program, PARIS, SETTINGS).alarm_date == dt.date(
        2026, 10, 25
    )


def test_tie_between_limits_names_the_alarm():
    """When the alarm-based date equals a cap, the alarm is reported as the reason."""
    program = continuous_program(D(500), D("0.2"), RateUnit.ML_PER_DAY)  # 18 mL = 90 days
    settings = SETTINGS.with_changes(refill_margin_days=0)
    forecast = forecast_refill(FILL, D(20), program, UTC, settings)
    assert forecast.days_to_due == 90 and forecast.due_limit is DueLimit.ALARM


# ---------------------------------------------------------------------------- program periods


def test_program_change_between_refills():
    """Residual integrates each program over its own period: 20 - 10 x 0.72 - 11 x 0.48 = 7.52."""
    start = dt.datetime(2026, 5, 4, 10, tzinfo=PARIS)
    change = start + dt.timedelta(days=10)
    periods = [
        ProgramPeriod(start, example2()),
        ProgramPeriod(change, continuous_program(D(500), D(10))),  # 0.48 mL/day
    ]
    refill = start + dt.timedelta(days=21)
    assert expected_residual_ml(D(20), start, refill, periods, PARIS) == D("7.52")


def test_program_change_in_the_middle_of_a_step_counts_per_hour():
    """A change at 10:30 splits that hour: half at the old rate, half at the new one."""
    start = dt.datetime(2026, 6, 10, 10, 0, tzinfo=PARIS)
    periods = [
        ProgramPeriod(start, continuous_program(D(500), D(12))),
        ProgramPeriod(start + dt.timedelta(minutes=30), continuous_program(D(500), D(24))),
    ]
    used = volume_delivered_ml(periods, start, start + dt.timedelta(hours=1), PARIS)
    assert used == (D(6) + D(12)) / D(500)


def test_forecast_follows_a_planned_program_change():
    """Periods in the forecast: a higher rate from day 5 brings the alarm forward."""
    fill_at = dt.datetime(2026, 5, 4, 9, tzinfo=UTC)
    periods = [
        ProgramPeriod(fill_at, continuous_program(D(500), D(15))),  # 0.72 mL/day
        ProgramPeriod(
            dt.datetime(2026, 5, 9, tzinfo=UTC), continuous_program(D(500), D(30))
        ),  # 1.44 mL/day
    ]
    # Days 1-5: 3.6 mL (first period covers the fill date from 00:00); 14.4 mL left at
    # 1.44 mL/day = exactly 10 more days: reached at the end of day 15.
    forecast = forecast_refill(FILL, D(20), periods, UTC, SETTINGS)
    assert forecast.days_to_alarm == 15


def test_one_time_bolus_volume_is_counted():
    """A 100 mcg one-time bolus at 500 mcg/mL uses 0.2 mL on top of the basal rate."""
    start = dt.datetime(2026, 6, 10, 10, tzinfo=UTC)
    program = Program(
        D(500), PumpMode.ONE_TIME_BOLUS, (Step(0, D(15)),), one_time_bolus=OneTimeBolus(D(100), 60)
    )
    periods = [ProgramPeriod(start, program)]
    assert volume_delivered_ml(periods, start, start + dt.timedelta(days=1), UTC) == D("0.92")
    half = volume_delivered_ml(periods, start, start + dt.timedelta(minutes=30), UTC)
    assert half == D("0.1") + D("0.015")
    forecast = forecast_refill(FILL, D("2.92"), periods, UTC, SETTINGS)
    assert forecast.days_to_alarm == 1


def test_one_time_bolus_is_cut_short_by_the_next_program():
    """Reprogramming during a bolus ends it: only the part given before counts."""
    start = dt.datetime(2026, 6, 10, 10, tzinfo=UTC)
    bolus = Program(
        D(500), PumpMode.ONE_TIME_BOLUS, (Step(0, D(15)),), one_time_bolus=OneTimeBolus(D(100), 60)
    )
    periods = [
        ProgramPeriod(start, bolus),
        ProgramPeriod(start + dt.timedelta(minutes=15), stopped_program(D(500))),
    ]
    used = volume_delivered_ml(periods, start, start + dt.timedelta(hours=2), UTC)
    assert used == (D(25) + D("3.75")) / D(500)


def test_periods_must_cover_the_interval_and_be_aware():
    """No program before the first period, naive times and empty lists are caller errors."""
    start = dt.datetime(2026, 6, 10, 10, tzinfo=UTC)
    periods = [ProgramPeriod(start, example2())]
    with pytest.raises(ValueError, match="No program was in force"):
        volume_delivered_ml(periods, start - dt.timedelta(hours=1), start, UTC)
    with pytest.raises(ValueError, match="at least one"):
        volume_delivered_ml([], start, start, UTC)
    with pytest.raises(ValueError, match="timezone-aware"):
        volume_delivered_ml(periods, dt.datetime(2026, 6, 10, 11), start, UTC)
    with pytest.raises(ValueError, match="same instant"):
        volume_delivered_ml(periods * 2, start, start, UTC)


# ---------------------------------------------------------------------------- thresholds


@pytest.mark.parametrize(
    ("reservoir", "threshold"), [(D(20), D(1)), (D(40), D(2)), (D(10), D(1)), (D(30), D(2))]
)
def test_discrepancy_threshold_by_pump_size(reservoir, threshold):
    """1 mL for a 20 mL pump, 2 mL for a 40 mL pump (ClinicSettings, [24])."""
    assert discrepancy_threshold_ml(reservoir, SETTINGS) == threshold


def test_residual_within_threshold_is_not_flagged_and_threshold_is_strict():
    """Exactly the threshold is not flagged; the 40 mL pump tolerates 1.88 mL."""
    assert not check_residual(D("4.88"), D("3.88"), D(20), SETTINGS).flagged
    assert not check_residual(D("4.88"), D("3.0"), D(40), SETTINGS).flagged
    more = check_residual(D("4.88"), D("6.0"), D(20), SETTINGS)
    assert more.flagged and "more than expected" in more.message


def test_expected_residual_can_show_a_pump_that_ran_dry():
    """More drug delivered than was in the pump: negative expected, flagged as run dry."""
    start = dt.datetime(2026, 6, 1, tzinfo=UTC)
    periods = [ProgramPeriod(start, example2())]
    expected = expected_residual_ml(D(5), start, start + dt.timedelta(days=10), periods, UTC)
    assert expected == D("-2.2")
    assert check_residual(expected, D(0), D(20), SETTINGS).would_have_run_dry


def test_settings_thresholds_are_honoured():
    """A clinic that sets 0.5 mL for 20 mL pumps flags smaller differences."""
    settings = SETTINGS.with_changes(discrepancy_threshold_20ml=D("0.5"))
    assert check_residual(D(5), D("4.4"), D(20), settings).flagged


# ---------------------------------------------------------------------------- alarm volume


def test_alarm_volume_choice():
    """Patient setting first, never below the pump's own refill point; else the larger of
    clinic setting and device default [21][27]."""
    prometra = synchromed(default_alarm_volume_ml=D(3))
    assert alarm_volume_for(SETTINGS) == D(2)
    assert alarm_volume_for(SETTINGS, prometra) == D(3)
    assert alarm_volume_for(SETTINGS.with_changes(alarm_volume_ml=D(4)), prometra) == D(4)
    assert alarm_volume_for(SETTINGS, prometra, D("4")) == D("4")
    # Below Prometra's 3.0 mL refill point: the dates use 3 mL, with a warning.
    assert alarm_volume_for(SETTINGS, prometra, D("2.5")) == D(3)
    # A patient's own volume may sit below the clinic setting (it replaces it) but not below
    # the pump's refill point.
    assert alarm_volume_for(
        SETTINGS.with_changes(alarm_volume_ml=D(4)), synchromed(), D("2.5")
    ) == D("2.5")


def test_alarm_volume_below_the_pump_refill_point_is_warned_and_not_used():
    """The warning names both volumes; the source says which one the dates use."""
    prometra = synchromed(default_alarm_volume_ml=D(3), name="Prometra II 20 mL")
    chosen = choose_alarm_volume(SETTINGS, prometra, D("2.5"))
    assert chosen.volume_ml == D(3) and chosen.source is AlarmVolumeSource.DEVICE
    assert chosen.patient_ml == D("2.5")
    assert "2.5 mL" in chosen.warning and "Prometra II 20 mL: 3 mL" in chosen.warning
    assert chosen.words == "Alarm volume 3 mL (the pump's own refill point)"
    exact = choose_alarm_volume(SETTINGS, prometra, D(3))
    assert exact.source is AlarmVolumeSource.PATIENT and not exact.warning
    own = choose_alarm_volume(SETTINGS, synchromed(), D(4))
    assert own.words == "Alarm volume 4 mL (this patient's own setting)" and not own.warning
    assert choose_alarm_volume(SETTINGS).words == "Alarm volume 2 mL (clinic setting)"
    assert choose_alarm_volume(SETTINGS, prometra).source is AlarmVolumeSource.DEVICE


@given(
    clinic=st.decimals(min_value=D("0.5"), max_value=D(10), places=1),
    device=st.decimals(min_value=D("0.5"), max_value=D(10), places=1),
    patient=st.none() | st.decimals(min_value=D("0.5"), max_value=D(10), places=1),
)
def test_alarm_volume_never_below_the_pump_refill_point(clinic, device, patient):
    """Whatever is set, the dates never use a volume below the pump's own refill point, so a
    date is never later than the pump's own [27]; a warning exactly when the patient's is."""
    chosen = choose_alarm_volume(
        SETTINGS.with_changes(alarm_volume_ml=clinic),
        synchromed(default_alarm_volume_ml=device),
        patient,
    )
    assert chosen.volume_ml >= device
    assert chosen.volume_ml == max(device, clinic if patient is None else patient)
    assert bool(chosen.warning) == (patient is not None and patient < device)


# ---------------------------------------------------------------------------- visit checks


NOW = dt.datetime(2026, 6, 10, 12, tzinfo=PARIS)


def visit(**changes) -> RefillVisit:
    values = dict(
        refill_at=dt.datetime(2026, 6, 10, 10, tzinfo=PARIS),
        measured_residual_ml=D("4.5"),
        volume_discarded_ml=D("4.5"),
        volume_added_ml=D(20),
        concentration_mcg_per_ml=D(500),
        lot="A123",
        lot_expiry=dt.date(2027, 1, 31),
        programmer_alarm_date=None,
    )
    values.update(changes)
    return RefillVisit(**values)


def check(v: RefillVisit, **kwargs):
    arguments = dict(
        reservoir_ml=D(20),
        implant_date=dt.date(2025, 1, 15),
        now=NOW,
        tz=PARIS,
        active_program=example2(),
    )
    arguments.update(kwargs)
    return validate_refill_visit(v, **arguments)


def test_a_normal_refill_passes():
    """Residual emptied, 20 mL added to a 20 mL pump, same concentration: no problem."""
    assert check(visit()) == []
    assert visit().volume_after_ml == D(20)
    assert describe_fill(visit()) == "Filled to 20 mL of 500 mcg/mL (lot A123), 20 mL added"


@pytest.mark.parametrize(
    ("changes", "field", "fragment"),
    [
        (
            {"measured_residual_ml": D(21), "volume_discarded_ml": D(21)},
            "measured_residual_ml",
            "more than the reservoir holds",
        ),
        ({"measured_residual_ml": D(-1)}, "measured_residual_ml", "cannot be negative"),
        ({"volume_added_ml": D(-1)}, "volume_added_ml", "cannot be negative"),
        ({"volume_discarded_ml": D(-1)}, "volume_discarded_ml", "cannot be negative"),
        ({"volume_discarded_ml": D(5)}, "volume_discarded_ml", "More volume is discarded"),
        (
            {"volume_discarded_ml": D(0)},
            "volume_added_ml",
            "would put 24.5 mL in a 20 mL reservoir",
        ),
        ({"refill_at": dt.datetime(2024, 12, 1, tzinfo=PARIS)}, "refill_at", "before the implant"),
        ({"refill_at": NOW + dt.timedelta(hours=1)}, "refill_at", "in the future"),
        ({"lot_expiry": dt.date(2026, 6, 9)}, "lot_expiry", "expired on 9 Jun 2026"),
        ({"lot": " "}, "lot", "lot number"),
        ({"concentration_mcg_per_ml": D(0)}, "concentration_mcg_per_ml", "above zero"),
    ],
)
def test_impossible_refills_are_refused(changes, field, fragment):
    """Each impossible entry is refused on its own field, in words."""
    problems = errors_only(check(visit(**changes)))
    assert any(p.field == field and fragment in p.message for p in problems), problems


def test_lot_expiring_on_the_refill_day_is_accepted():
    """Expiry on the refill date itself is not before it."""
    assert check(visit(lot_expiry=dt.date(2026, 6, 10))) == []


def test_concentration_change_needs_a_program_change():
    """1000 mcg/mL added while the active program says 500 is refused without a new program."""
    problems = errors_only(check(visit(concentration_mcg_per_ml=D(1000))))
    assert any("needs a program change" in p.message for p in problems)
    new = Program(D(1000), PumpMode.CONTINUOUS, (Step(0, D(15)),), bridge_bolus_note="bridge")
    assert check(visit(concentration_mcg_per_ml=D(1000)), new_program=new) == []
    wrong = Program(D(2000), PumpMode.CONTINUOUS, (Step(0, D(15)),), bridge_bolus_note="bridge")
    problems = errors_only(check(visit(concentration_mcg_per_ml=D(1000)), new_program=wrong))
    assert any("the new program is for 2000 mcg/mL" in p.message for p in problems)


def test_old_concentration_left_in_the_pump_is_refused():
    """Changing concentration while residual drug stays in the reservoir mixes the two."""
    new = Program(D(1000), PumpMode.CONTINUOUS, (Step(0, D(15)),), bridge_bolus_note="bridge")
    problems = errors_only(
        check(
            visit(
                concentration_mcg_per_ml=D(1000), volume_discarded_ml=D(2), volume_added_ml=D(10)
            ),
            new_program=new,
        )
    )
    assert any("empty the reservoir" in p.message for p in problems)


def test_programmer_alarm_date_mismatch_is_a_warning():
    """The vendor programmer's alarm date differing from ours is flagged, not refused [55]."""
    ours = dt.date(2026, 7, 5)
    assert check(visit(programmer_alarm_date=ours), our_alarm_date=ours) == []
    (problem,) = check(visit(programmer_alarm_date=dt.date(2026, 7, 6)), our_alarm_date=ours)
    assert problem.severity is Severity.WARNING and "6 Jul 2026" in problem.message


def test_naive_refill_time_is_a_caller_error():
    """Refill times must be timezone-aware."""
    with pytest.raises(ValueError):
        check(visit(refill_at=dt.datetime(2026, 6, 10, 10)))
