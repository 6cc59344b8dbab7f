"""The re-identification page: one form, one audited action, a CSV back (see reident.py)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import Response

from yearofcare.errors import YocError
from yearofcare.web import auth, reident
from yearofcare.web.app import BadRequest, render_html
from yearofcare.web.deps import check_csrf, require, web

router = APIRouter(include_in_schema=False)
ROLE = require(auth.REIDENTIFICATION)


@router.get("/reidentify")
def form(request: Request, principal: Annotated[auth.Principal, Depends(ROLE)]) -> Response:
    ctx = web(request)
    with ctx.reader.connect() as snap:
        lists = reident.review_lists(snap, principal.user.practice_code or "")
        has_table = snap.exists(reident.REVIEW_TABLE)
    return render_html(
        request,
        "reidentify.html.j2",
        lists=lists,
        has_table=has_table,
        practice=principal.user.practice_code,
        min_reason=reident.MIN_REASON,
        max_mb=ctx.settings.upload_max_bytes / 1_000_000,
    )


@router.post("/reidentify")
async def run(
    request: Request,
    principal: Annotated[auth.Principal, Depends(ROLE)],
    review_list: Annotated[str, Form(max_length=200)] = "",
    reason: Annotated[str, Form(max_length=2000)] = "",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    numbers: Annotated[UploadFile | None, File()] = None,
) -> Response:
    check_csrf(request, principal, csrf_token)
    ctx = web(request)
    practice = principal.user.practice_code or ""
    reason = reason.strip()
    if len(reason) < reident.MIN_REASON:
        raise BadRequest(
            "state why you need to re-identify this list",
            f"write at least {reident.MIN_REASON} characters (e.g. the case review it is for)",
        )
    cohort_id, _, fy_text = review_list.rpartition("|")
    if not cohort_id or not fy_text.isdigit():
        raise BadRequest("choose a review list", "pick one of the lists shown on the page")
    if numbers is None or not numbers.filename:
        raise BadRequest("upload the practice's list of NHS numbers", "a CSV file")
    limit = ctx.settings.upload_max_bytes
    data = await numbers.read(limit + 1)
    if len(data) > limit:
        raise BadRequest(
            f"the file is larger than {limit / 1_000_000:.1f} MB",
            "upload only the NHS number column",
            status=413,
        )
    name = (numbers.filename or "upload")[:80]
    try:
        key = reident.key_for(ctx.settings.data_dir, ctx.settings.key_file)
        listed = reident.read_numbers(data, name)
        with ctx.reader.connect() as snap:
            if not snap.exists(reident.REVIEW_TABLE):
                raise BadRequest("there are no review lists yet", "run `yoc cohort select` first")
            result = reident.match(snap, key, practice, cohort_id, int(fy_text), listed)
    except YocError as exc:
        raise BadRequest(exc.message, exc.hint or "") from None
    ctx.state.audit(
        principal.username,
        "reidentify_review_list",
        {
            "practice": practice,
            "cohort_id": cohort_id,
            "selection_fy": int(fy_text),
            "uploaded": result.uploaded,
            "invalid": result.invalid,
            "listed": result.listed,
            "matched": result.matched,
        },
        reason=reason,
    )
    filename = f"reidentified-{practice}-{cohort_id}-{fy_text}.csv".replace('"', "")
    return Response(
        result.csv_bytes,
        media_type="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
            "X-Yoc-Matched": str(result.matched),
        },
    )
