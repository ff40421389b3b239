from services.records.models import DataAccess


def data_access_record(
    *, actor, citizen, what: str, purpose: str, department=None, case_reference: str = ""
) -> DataAccess:
    return DataAccess.objects.create(
        actor=actor, citizen=citizen, what=what, purpose=purpose, department=department, case_reference=case_reference
    )
