from __future__ import annotations

from django.http import HttpRequest, StreamingHttpResponse

from haven.evidence.services import evidence_for_user, evidence_open


def download(request: HttpRequest, pk: int) -> StreamingHttpResponse:
    evidence = evidence_for_user(request.user, pk, request=request)
    response = StreamingHttpResponse(
        evidence_open(actor=request.user, evidence=evidence, request=request),
        content_type="application/octet-stream",
    )
    # Always a download, never rendered in the page: the content is whatever was uploaded.
    response["Content-Disposition"] = f'attachment; filename="evidence-{evidence.pk}"'
    response["Content-Length"] = str(evidence.size)
    return response
