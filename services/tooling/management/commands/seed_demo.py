"""Demo data: departments, services with workflows, and demo accounts; with --history, a
generated past for the statistics. Safe to run again: it updates what exists and never
duplicates."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from services.accounts.constants import StaffRole, UserKind
from services.accounts.models import Department, Membership
from services.catalog.models import DocumentType, LifeEvent, Material, Service, Stage, StageStep, WorkflowTemplate
from services.catalog.schema import schema_check
from services.records.models import DocumentSource, WalletDocument
from services.tooling import demo_data


class Command(BaseCommand):
    help = "Create or update the demo departments, services and accounts."

    def add_arguments(self, parser):
        parser.add_argument(
            "--history",
            type=int,
            default=0,
            help="Also generate this many decided cases over the last two years (once), for the statistics.",
        )

    def handle(self, *args, history: int = 0, **options):
        if settings.PRODUCTION:
            raise CommandError(
                "seed_demo makes accounts whose password is published with the code: it does not run in "
                "production (PORTAL_ENV=production). Use it for the demo, tests and development only."
            )
        self._seed()
        if history:
            self._history(history)

    def _history(self, cases: int) -> None:
        """A past for the dashboards: generated cases of generated citizens, all decided, so
        that no department queue fills with them. Made once; later runs only re-add up."""
        import io

        from django.core.management import call_command

        from services.analytics.actions import summary_refresh

        if not get_user_model().objects.filter(username__startswith="load-").exists():
            # One process: the demo past is small, and forking beside open connections is not safe.
            call_command("seed_load", cases=cases, open_share=0, workers=1, stdout=io.StringIO())
        summary_refresh()
        self.stdout.write(f"Statistics: {cases:,} generated cases over the last two years.")

    @transaction.atomic
    def _seed(self):
        departments = self._departments()
        events = self._life_events()
        document_types = self._document_types(departments)
        for spec in demo_data.SERVICES:
            self._service(spec, departments, events, document_types)
        logins = self._accounts(departments)
        self.stdout.write(
            self.style.SUCCESS(f"Demo data ready: {len(departments)} departments, {len(demo_data.SERVICES)} services.")
        )
        self.stdout.write(f"Demo logins (password for all: {demo_data.DEMO_PASSWORD}):")
        for who, login in logins:
            self.stdout.write(f"  {login:<36} {who}")
        self.stdout.write(
            "Staff and sysadmin also give a code from an authenticator app: add the key "
            f"{demo_data.demo_key_base32()} to one, or run `make demo-code` for the code of the moment."
        )

    def _departments(self) -> dict[str, Department]:
        result = {}
        for code, zh, en in demo_data.DEPARTMENTS:
            result[code], _ = Department.objects.update_or_create(code=code, defaults={"name_zh": zh, "name_en": en})
        return result

    def _life_events(self) -> dict[str, LifeEvent]:
        result = {}
        for position, (code, zh, en) in enumerate(demo_data.LIFE_EVENTS):
            result[code], _ = LifeEvent.objects.update_or_create(
                code=code, defaults={"name_zh": zh, "name_en": en, "position": position}
            )
        return result

    def _document_types(self, departments: dict[str, Department]) -> dict[str, DocumentType]:
        result = {}
        for code, zh, en, issuer, years in demo_data.DOCUMENT_TYPES:
            result[code], _ = DocumentType.objects.update_or_create(
                code=code,
                defaults={"name_zh": zh, "name_en": en, "issuer": departments[issuer], "validity_years": years},
            )
        return result

    def _service(
        self,
        spec: dict,
        departments: dict[str, Department],
        events: dict[str, LifeEvent],
        document_types: dict[str, DocumentType],
    ) -> None:
        schema = {"groups": spec["groups"]}
        problems = schema_check(schema)
        if problems:
            raise ValueError(f"{spec['code']}: {problems}")
        service, _ = Service.objects.update_or_create(
            code=spec["code"],
            defaults={
                "name_zh": spec["name"][0],
                "name_en": spec["name"][1],
                "summary_zh": spec["summary"][0],
                "summary_en": spec["summary"][1],
                "lead_department": departments[spec["lead"]],
                "promised_days": spec["days"],
                "form_schema": schema,
                "is_published": True,
                "keywords": spec["keywords"],
                "issues": document_types.get(demo_data.ISSUES.get(spec["code"], "")),
            },
        )
        service.life_events.set([events[code] for code in spec["life_events"]])
        for position, (zh, en, required, *deferrable) in enumerate(spec["materials"]):
            Material.objects.update_or_create(
                service=service,
                position=position,
                defaults={
                    "name_zh": zh,
                    "name_en": en,
                    "required": required,
                    "deferrable_days": deferrable[0] if deferrable else None,
                    "document_type": document_types.get(demo_data.MATERIAL_DOCUMENTS.get(zh, "")),
                },
            )
        if service.workflows.exists():
            return  # workflows are versioned: a running case keeps the one it started on
        workflow = WorkflowTemplate.objects.create(service=service, version=1, is_active=True)
        for position, (zh, en, steps) in enumerate(spec["stages"], start=1):
            stage = Stage.objects.create(template=workflow, position=position, name_zh=zh, name_en=en)
            for code, step_zh, step_en, role in steps:
                StageStep.objects.create(
                    stage=stage, department=departments[code], name_zh=step_zh, name_en=step_en, role=role
                )

    def _accounts(self, departments: dict[str, Department]) -> list[tuple[str, str]]:
        User = get_user_model()
        logins = []
        for mobile, email, name in demo_data.CITIZENS:
            user, created = User.objects.get_or_create(
                username=mobile,
                defaults={
                    "mobile": mobile,
                    "email": email,
                    "full_name": name,
                    "kind": UserKind.CITIZEN,
                    # The demo citizens registered as everyone does: their numbers are confirmed.
                    "mobile_confirmed_at": timezone.now(),
                },
            )
            if created:
                user.set_password(demo_data.DEMO_PASSWORD)
                user.save()
            logins.append((f"citizen {name}", f"{mobile} or {email}"))
        roles = [
            (StaffRole.CLERK, "clerk", "窗口受理"),
            (StaffRole.REVIEWER, "reviewer", "审批"),
            (StaffRole.DEPARTMENT_ADMIN, "admin", "管理员"),
        ]
        for code, department in departments.items():
            for role, suffix, title in roles:
                username = f"{code}.{suffix}"
                self._staff(username, f"{department.name_zh}{title}", role, department)
                logins.append((f"{department.name_en}: {role.label}", username))
        self._staff("auditor", "审计员", StaffRole.AUDITOR, None)
        logins.append(("auditor (city-wide)", "auditor"))
        self._staff("leader", "市政务服务管理局局长", StaffRole.LEADER, None)
        logins.append(("city leader (every department's dashboard)", "leader"))
        self._staff("security", "网络安全管理员", StaffRole.SECURITY_ADMIN, None)
        logins.append(("security administrator (alerts, the audit trail)", "security"))
        admin, created = User.objects.get_or_create(
            username="sysadmin",
            defaults={"full_name": "系统管理员", "kind": UserKind.STAFF, "is_staff": True, "is_superuser": True},
        )
        if created:
            admin.set_password(demo_data.DEMO_PASSWORD)
            admin.save()
        self._authenticator(admin)
        logins.append(("system administrator (/admin/)", "sysadmin"))
        self._wallets()
        self._registries(departments)
        return logins

    def _registries(self, departments: dict[str, Department]) -> None:
        import json

        from services.core.crypto import blind_index, encrypt
        from services.records.models import DataRequirement, Registry, RegistryRecord

        registries = {}
        for code, zh, en, department, provides in demo_data.REGISTRIES:
            registries[code], _ = Registry.objects.update_or_create(
                code=code,
                defaults={
                    "name_zh": zh,
                    "name_en": en,
                    "department": departments[department],
                    "provides": provides,
                    "verifies_identity": code == "population",
                },
            )
        for code, records in demo_data.REGISTRY_RECORDS.items():
            for id_number, payload in records.items():
                RegistryRecord.objects.update_or_create(
                    registry=registries[code],
                    id_digest=blind_index(id_number),
                    defaults={"payload": encrypt(json.dumps(payload, ensure_ascii=False))},
                )
        for service_code, requirements in demo_data.DATA_REQUIREMENTS.items():
            service = Service.objects.get(code=service_code)
            for registry_code, purpose_zh, purpose_en in requirements:
                DataRequirement.objects.update_or_create(
                    service=service,
                    registry=registries[registry_code],
                    defaults={"purpose_zh": purpose_zh, "purpose_en": purpose_en},
                )

    def _wallets(self) -> None:
        """Documents the departments' registries hold for the demo citizens."""
        from datetime import date

        User = get_user_model()
        for mobile, codes in demo_data.WALLET.items():
            citizen = User.objects.get(mobile=mobile)
            for code in codes:
                document_type = DocumentType.objects.get(code=code)
                if document_type.issuer is None:
                    raise ValueError(f"{code}: a wallet document needs a document type with an issuer")
                WalletDocument.objects.get_or_create(
                    citizen=citizen,
                    document_type=document_type,
                    source=DocumentSource.REGISTRY,
                    defaults={
                        "number": f"{code.upper()}-{mobile[-4:]}",
                        "holder_name": citizen.full_name,
                        "issuer": document_type.issuer,
                        "issued_on": date(2020, 5, 1),
                        "valid_until": date(2040, 5, 1) if document_type.validity_years else None,
                    },
                )

    def _staff(self, username: str, full_name: str, role: str, department: Department | None) -> None:
        User = get_user_model()
        user, created = User.objects.get_or_create(
            username=username,
            defaults={"full_name": full_name, "kind": UserKind.STAFF, "is_staff": role == StaffRole.DEPARTMENT_ADMIN},
        )
        if created:
            user.set_password(demo_data.DEMO_PASSWORD)
            user.save()
        Membership.objects.get_or_create(user=user, department=department, role=role)
        self._authenticator(user)

    def _authenticator(self, user) -> None:
        """The demo second factor: an authenticator already enrolled with the published key."""
        TOTPDevice.objects.get_or_create(
            user=user, name="demo", defaults={"key": demo_data.DEMO_TOTP_KEY, "confirmed": True}
        )
