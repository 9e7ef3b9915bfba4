"""The demo clinic's pumps: implants, program histories over months, unfinished programs."""

from __future__ import annotations

import datetime as dt

from carecoord.domain.enums import PatientStatus
from carecoord.domain.program_status import ProgramStatus
from carecoord.services import audit, demo, programs, pumps


def test_demo_pumps_and_program_histories(db):
    today = dt.date.today()
    with db.session() as s:
        clinic = demo.build_demo(s, patient_count=24, seed=7)
    implanted = clinic.with_status(PatientStatus.IMPLANTED)
    assert len(implanted) >= 10
    nurse = clinic.nurse
    with db.session() as s:
        models, near_end, lengths = set(), 0, []
        for patient in implanted:
            implant = pumps.active_implant(s, patient.id)
            assert implant is not None
            models.add(implant.device_key)
            if implant.battery and implant.battery.plan_by <= today:
                near_end += 1
            history = programs.programs_of(s, nurse, patient.id)
            lengths.append(len(history))
            active = programs.active_program(s, patient.id)
            assert active is not None and active.status is ProgramStatus.PROGRAMMED
            periods = programs.programs_in_force(
                s, patient.id, implant.implant_date, today + dt.timedelta(days=1)
            )
            assert len(periods) == sum(1 for p in history if p.programmed_at is not None)
        unfinished = programs.unfinished_programs(s)
        assert len(models) >= 3 and near_end >= 2
        assert max(lengths) >= 5
        statuses = {u.status for u in unfinished}
        assert statuses == {ProgramStatus.DRAFT, ProgramStatus.APPROVED}
        assert audit.verify(s).ok
