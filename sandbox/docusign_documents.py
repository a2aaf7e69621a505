"""Envelope document downloads: the stored documents plus signature block and certificate.

Real DocuSign returns PDFs; the sandbox returns HTML (casefac sends HTML documents), which is
enough for the activities to archive bytes and for a person to read them.
"""

from __future__ import annotations

import base64
import io
import zipfile
from html import escape

from starlette.responses import Response

from sandbox.docusign_envelopes import Envelope, all_recipients, bad_request, signers


def _decoded(document: dict[str, str]) -> str:
    return base64.b64decode(document["documentBase64"]).decode("utf-8", "replace")


def _signature_block(envelope: Envelope) -> str:
    rows = "".join(
        f"<tr><td>{escape(s['name'])}</td><td>{escape(s['email'])}</td><td>{escape(s['status'])}</td>"
        f"<td>{escape(s.get('signedDateTime', ''))}</td></tr>"
        for s in signers(envelope)
    )
    return (
        '<section class="signatures"><h2>Signatures (SANDBOX)</h2><table>'
        "<tr><th>Name</th><th>Email</th><th>Status</th><th>Signed</th></tr>"
        f"{rows}</table></section>"
    )


def combined_html(envelope: Envelope) -> str:
    parts = [
        f"<article><h1>{escape(d.get('name', 'Document'))}</h1>{_decoded(d)}</article>" for d in envelope["documents"]
    ]
    return (
        f"<!doctype html><html><head><meta charset=utf-8><title>{escape(envelope['emailSubject'])}</title>"
        f"</head><body>{''.join(parts)}{_signature_block(envelope)}</body></html>"
    )


def certificate_html(envelope: Envelope) -> str:
    rows = "".join(
        f"<tr><td>{escape(r['name'])}</td><td>{escape(r['email'])}</td><td>{escape(r['recipientType'])}</td>"
        f"<td>{escape(r['status'])}</td><td>{escape(r.get('sentDateTime', ''))}</td>"
        f"<td>{escape(r.get('deliveredDateTime', ''))}</td>"
        f"<td>{escape(r.get('signedDateTime', ''))}</td></tr>"
        for r in all_recipients(envelope)
    )
    return (
        "<!doctype html><html><head><meta charset=utf-8><title>Certificate of Completion</title></head><body>"
        "<h1>Certificate of Completion (SANDBOX)</h1>"
        f"<p>Envelope: {escape(envelope['envelopeId'])}<br>Subject: {escape(envelope['emailSubject'])}<br>"
        f"Status: {escape(envelope['status'])}<br>Created: {escape(envelope['createdDateTime'])}<br>"
        f"Completed: {escape(envelope.get('completedDateTime') or '')}</p>"
        "<table><tr><th>Name</th><th>Email</th><th>Type</th><th>Status</th><th>Sent</th>"
        f"<th>Viewed</th><th>Signed</th></tr>{rows}</table></body></html>"
    )


def _file(content: bytes, media_type: str, filename: str) -> Response:
    return Response(content, media_type=media_type, headers={"Content-Disposition": f'file; filename="{filename}"'})


def document_response(envelope: Envelope, document_id: str) -> Response:
    """Bytes for ``combined``, ``certificate``, ``archive`` or a document id."""
    if document_id == "combined":
        return _file(combined_html(envelope).encode(), "text/html; charset=utf-8", "combined.html")
    if document_id == "certificate":
        return _file(certificate_html(envelope).encode(), "text/html; charset=utf-8", "certificate.html")
    if document_id == "archive":
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for document in envelope["documents"]:
                extension = document.get("fileExtension", "html")
                name = f"{document['documentId']}_{document.get('name', 'document')}.{extension}"
                archive.writestr(name, base64.b64decode(document["documentBase64"]))
            archive.writestr("Summary.html", certificate_html(envelope))
        return _file(buffer.getvalue(), "application/zip", "archive.zip")
    for document in envelope["documents"]:
        if str(document["documentId"]) == document_id:
            extension = document.get("fileExtension", "html").lower()
            media = {
                "html": "text/html; charset=utf-8",
                "htm": "text/html; charset=utf-8",
                "pdf": "application/pdf",
                "txt": "text/plain",
            }
            return _file(
                base64.b64decode(document["documentBase64"]),
                media.get(extension, "application/octet-stream"),
                f"{document.get('name', 'document')}.{extension}",
            )
    raise bad_request(f"The document {document_id} does not exist in the envelope.", "DOCUMENT_DOES_NOT_EXIST")
