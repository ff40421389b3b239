"""E-licences (电子证照): issued when a case of an issuing service is approved (casework asks,
on the issuing department's worker, with the facts of the case); a PDF in Chinese with a
verification code and its QR code, placed in the citizen's wallet; verified by anyone on a
public page that shows only the minimum.

A verification code is 16 random characters and 4 of a keyed signature over them, so a code
that was typed wrong or made up is refused before the database is asked.
"""

import hashlib
import hmac
import io
import secrets
from datetime import date

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from services.core.masking import mask_name
from services.notifications.actions import notify
from services.notifications.constants import NotificationKind
from services.records.models import DocumentSource, DocumentStatus, WalletDocument

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: read aloud and typed by hand
VALID, REVOKED, UNKNOWN = "valid", "revoked", "unknown"


def _signature(body: str) -> str:
    digest = hmac.new(settings.LICENCE_SIGNING_KEY.encode(), body.encode(), hashlib.sha256).digest()
    return "".join(ALPHABET[b % len(ALPHABET)] for b in digest[:4])


def code_make() -> str:
    body = "".join(secrets.choice(ALPHABET) for _ in range(16))
    raw = body + _signature(body)
    return "-".join(raw[i : i + 4] for i in range(0, 20, 4))


def code_normalize(code: str) -> str:
    return "".join(c for c in (code or "").upper() if c.isalnum())


def code_well_formed(code: str) -> bool:
    raw = code_normalize(code)
    if len(raw) != 20 or any(c not in ALPHABET for c in raw):
        return False
    return hmac.compare_digest(_signature(raw[:16]), raw[16:])


def _formatted(code: str) -> str:
    raw = code_normalize(code)
    return "-".join(raw[i : i + 4] for i in range(0, 20, 4))


def licence_verify(*, code: str) -> tuple[str, WalletDocument | None]:
    """(valid | revoked | unknown, the document). Only portal-issued licences verify here."""
    if not code_well_formed(code):
        return UNKNOWN, None
    document = (
        WalletDocument.objects.filter(verification_code=_formatted(code), source=DocumentSource.ISSUED)
        .select_related("document_type", "issuer")
        .first()
    )
    if document is None:
        return UNKNOWN, None
    if document.status == DocumentStatus.REVOKED:
        return REVOKED, document
    expired = document.valid_until and document.valid_until < timezone.localdate()
    return (REVOKED if expired else VALID), document


def licence_public_facts(document: WalletDocument) -> dict:
    """The minimum a third party needs: what, by whom, when, for whom (masked)."""
    return {
        "document_type": document.document_type.localized("name"),
        "number": document.number,
        "holder": mask_name(document.holder_name),
        "issuer": document.issuer.name,
        "issued_on": document.issued_on,
        "valid_until": document.valid_until,
    }


def licence_issue(
    *, application_id: int, reference: str, citizen, document_type, issuer, holder_name: str
) -> WalletDocument:
    """Issue the e-licence of an approved case, once: a repeated request finds it issued. The
    caller holds the case locked and passes its facts: the licence number is the type's code
    and the case's reference."""
    existing = WalletDocument.objects.filter(application_id=application_id).first()
    if existing:
        return existing
    previous = (
        WalletDocument.objects.select_for_update()
        .filter(citizen=citizen, document_type=document_type)
        .order_by("-version")
        .first()
    )
    today = timezone.localdate()
    valid_until = (
        date(today.year + document_type.validity_years, today.month, min(today.day, 28))
        if document_type.validity_years
        else None
    )
    document = WalletDocument(
        citizen=citizen,
        document_type=document_type,
        number=f"{document_type.code.upper()}-{reference}",
        holder_name=holder_name,
        issuer=issuer,
        issued_on=today,
        valid_until=valid_until,
        version=(previous.version + 1) if previous else 1,
        source=DocumentSource.ISSUED,
        application_id=application_id,
        verification_code=code_make(),
    )
    with transaction.atomic():
        document.file.save(f"{document.number}.pdf", ContentFile(licence_pdf(document)), save=False)
        document.save()
        if previous and previous.status == DocumentStatus.VALID:
            WalletDocument.objects.filter(pk=previous.pk).update(status=DocumentStatus.SUPERSEDED)
        notify(
            recipients=[citizen],
            kind=NotificationKind.LICENCE_ISSUED,
            params={"reference": reference, "number": document.number},
            link=reverse("records:wallet"),
        )
    return document


def licence_revoke(*, document: WalletDocument) -> None:
    WalletDocument.objects.filter(pk=document.pk).update(status=DocumentStatus.REVOKED, revoked_at=timezone.now())


def verification_url(document: WalletDocument) -> str:
    return settings.PORTAL_PUBLIC_URL.rstrip("/") + reverse("records:verify-code", args=[document.verification_code])


def licence_pdf(document: WalletDocument) -> bytes:
    """The licence as a one-page A4 PDF in Chinese, with the verification code and a QR code
    of the public verification address."""
    from reportlab.graphics import renderPDF
    from reportlab.graphics.barcode.qr import QrCodeWidget
    from reportlab.graphics.shapes import Drawing
    from reportlab.lib.colors import HexColor
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    font = "STSong-Light"  # a CID font every PDF reader has: nothing to embed
    if font not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(font))
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    pdf.setTitle(f"{document.document_type.name_zh} {document.number}")
    pdf.setAuthor(document.issuer.name_zh)
    width, height = A4
    red = HexColor("#B71C1C")
    pdf.setStrokeColor(red)
    pdf.setLineWidth(2)
    pdf.rect(15 * mm, 15 * mm, width - 30 * mm, height - 30 * mm)
    pdf.setFillColor(red)
    pdf.setFont(font, 26)
    pdf.drawCentredString(width / 2, height - 45 * mm, document.document_type.name_zh)
    pdf.setFont(font, 12)
    pdf.drawCentredString(width / 2, height - 55 * mm, "电子证照")
    pdf.setFillColor(HexColor("#1A1A1A"))
    rows = [
        ("证照编号", document.number),
        ("持证人", document.holder_name),
        ("发证机关", document.issuer.name_zh),
        ("发证日期", document.issued_on.strftime("%Y年%m月%d日")),
        ("有效期至", document.valid_until.strftime("%Y年%m月%d日") if document.valid_until else "长期"),
        ("版本", str(document.version)),
    ]
    y = height - 85 * mm
    for label, value in rows:
        pdf.setFont(font, 13)
        pdf.drawString(35 * mm, y, f"{label}：")
        pdf.drawString(70 * mm, y, value)
        y -= 12 * mm
    url = verification_url(document)
    qr = QrCodeWidget(url)
    x1, y1, x2, y2 = qr.getBounds()
    size = 45 * mm
    drawing = Drawing(size, size, transform=[size / (x2 - x1), 0, 0, size / (y2 - y1), 0, 0])
    drawing.add(qr)
    renderPDF.draw(drawing, pdf, width - 35 * mm - size, 30 * mm)
    pdf.setFont(font, 11)
    pdf.drawString(35 * mm, 60 * mm, "验证码：")
    pdf.setFont("Courier-Bold", 14)
    pdf.drawString(35 * mm, 52 * mm, document.verification_code)
    pdf.setFont(font, 9)
    pdf.drawString(35 * mm, 42 * mm, "扫描二维码或在政务服务网站输入验证码核验本证照真伪。")
    pdf.drawString(35 * mm, 36 * mm, f"核验网址：{settings.PORTAL_PUBLIC_URL.rstrip('/')}/verify/")
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
