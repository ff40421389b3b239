"""A small history built by hand, through the real actions, whose every figure is known.

Service "permit" (lead: psb; stages psb, then mca; promised 5 working days):
- P1, submitted Wednesday 30 September 2026, the eve of the National Day holiday: psb approves
  on Thursday 8 October, mca on Friday 9 October. 2 working days (1-7 October are off);
  due 13 October: on time. Rated 5.
- P2, submitted Monday 2 November: psb asks for a correction the same day; the citizen answers
  on Thursday 5 November (3 working days with the clock stopped); psb approves on Friday
  6 November, mca on Friday 13 November. 9 working days less 3 = 6; due 9 November plus 3
  = 12 November: late. Rated 1; mca (which decided last) answers the follow-up in time.
- P3, submitted Tuesday 3 November, rejected by psb on Wednesday 4 November: 1 working day,
  on time.
Service "licence" (lead: amr; one stage; promised 3 working days):
- L1, submitted Monday 9 November, approved Tuesday 10 November: 1 working day, on time.
  Rated 2; the follow-up is never answered.
- L2, submitted Monday 16 November, still open on Thursday 26 November: 8 working days old,
  overdue since 19 November.
"""

from dataclasses import dataclass
from datetime import date

import time_machine

from services.casework import citizen as case_citizen
from services.casework import ratings
from services.casework.models import Application
from services.catalog.models import DocumentType, Material
from services.records.models import DocumentSource, Evidence, Upload, WalletDocument
from tests.casework.helpers import decide, open_steps, reviewer_of, submit
from tests.factories import CitizenFactory, make_service

TODAY = date(2026, 11, 26)


def at(day: str, hour: str = "10:00"):
    return time_machine.travel(f"{day} {hour} +08:00", tick=False)


@dataclass
class History:
    permit: object
    licence: object
    reviewers: dict
    cases: dict


def build(capture) -> History:
    permit = make_service(code="permit", stages=[["psb"], ["mca"]], promised_days=5)
    licence = make_service(code="licence", stages=[["amr"]], promised_days=3)
    reviewers = {code: reviewer_of(code) for code in ("psb", "mca", "amr")}
    citizen = CitizenFactory()
    cases = {}

    def step_of(application):
        (step,) = open_steps(application)
        return step

    with at("2026-09-30"):
        cases["P1"] = submit(citizen, permit, capture)
    with at("2026-10-08"):
        decide(step_of(cases["P1"]), "approve", capture, user=reviewers["psb"])
    with at("2026-10-09"):
        decide(step_of(cases["P1"]), "approve", capture, user=reviewers["mca"])
    with at("2026-10-10"):
        ratings.application_rate(application_id=cases["P1"].pk, citizen=citizen, score=5, tags=["fast"])

    with at("2026-11-02"):
        cases["P2"] = submit(citizen, permit, capture)
        decide(step_of(cases["P2"]), "correction", capture, user=reviewers["psb"], items=["请补充材料"])
    with at("2026-11-05", "16:00"):
        case_citizen.case_correction_submit(
            application_id=cases["P2"].pk, citizen=citizen, answers={}, comment="已补正"
        )
    with at("2026-11-06"):
        decide(step_of(cases["P2"]), "approve", capture, user=reviewers["psb"])
    with at("2026-11-13"):
        decide(step_of(cases["P2"]), "approve", capture, user=reviewers["mca"])
    with at("2026-11-16"):
        rating = ratings.application_rate(application_id=cases["P2"].pk, citizen=citizen, score=1, tags=["slow"])
    with at("2026-11-17"):
        ratings.follow_up_reply(follow_up_id=rating.follow_up.pk, user=reviewers["mca"], reply="已联系您并改进流程")

    with at("2026-11-03"):
        cases["P3"] = submit(citizen, permit, capture)
    with at("2026-11-04"):
        decide(step_of(cases["P3"]), "reject", capture, user=reviewers["psb"], reason="不符合条件")

    with at("2026-11-09"):
        cases["L1"] = submit(citizen, licence, capture)
    with at("2026-11-10"):
        decide(step_of(cases["L1"]), "approve", capture, user=reviewers["amr"])
    with at("2026-11-11"):
        ratings.application_rate(application_id=cases["L1"].pk, citizen=citizen, score=2, tags=["unclear"])

    with at("2026-11-16"):
        cases["L2"] = submit(citizen, licence, capture)

    # P1's identity card came from the wallet (a trip saved); the other material was uploaded.
    id_card = Material.objects.get(service=permit)
    second = Material.objects.create(service=permit, name_zh="户口簿", name_en="Household register")
    document_type = DocumentType.objects.create(code="id-card-test", name_zh="居民身份证", name_en="ID card")
    document = WalletDocument.objects.create(
        citizen=citizen,
        document_type=document_type,
        number="X1",
        holder_name="张三",
        issuer=permit.lead_department,
        issued_on=date(2020, 1, 1),
        source=DocumentSource.REGISTRY,
    )
    Evidence.objects.create(application=cases["P1"], material=id_card, document=document)
    Upload.objects.create(
        owner=citizen,
        application=cases["P1"],
        material=second,
        file="uploads/x.pdf",
        original_name="户口簿.pdf",
        content_type="application/pdf",
        size=100,
        sha256="0" * 64,
    )
    for key, application in cases.items():
        cases[key] = Application.objects.get(pk=application.pk)
    return History(permit=permit, licence=licence, reviewers=reviewers, cases=cases)
