"""What the portal asks for when a signer clicks "sign", and what comes back (review M7).

The public gateway holds no DocuSign key: it starts ``SigningViewWorkflow`` (``workflows/signing_view.py``)
with this request, whose activity on the e-sign queue re-reads the signer from the case (or the Advocate
entity) itself and asks DocuSign for the recipient view. The answer is the view's URL, or why there is
none, in words the portal turns into a page.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from casefac.parties import Role

#: The activity's name (``activities/signing_view.py``) and the workflow's type.
CREATE_SIGNING_VIEW = "esign.create_signing_view"
SIGNING_VIEW_WORKFLOW = "SigningViewWorkflow"
#: Why no view: the portal's refusal reasons (``gateway/portal/access.py``), plus ``unavailable``.
Refusal = Literal["done", "not_your_turn", "signed_already", "replaced", "unavailable"]


def signing_view_workflow_id(nonce: str) -> str:
    """One view workflow per link (a double click joins the running one): derived from the link's nonce."""
    return f"signing-view-{nonce}"


class SigningViewRequest(BaseModel):
    """The verified link's facts (no names or addresses: the activity reads those from the case)."""

    model_config = ConfigDict(frozen=True, extra="ignore")
    action: Literal["sign_contract", "sign_agreement"]
    case_id: Annotated[str, Field(max_length=40)]
    role: Role
    party_id: Annotated[str, Field(max_length=40)]
    #: The link's epoch: a link revoked on the Advocate entity (``casefac resend``) opens no view.
    epoch: Annotated[int, Field(ge=0)] = 0
    #: Where DocuSign sends the signer back: an opaque return id, never the link token (review M3).
    return_url: Annotated[str, Field(max_length=2000)]


class SigningViewResult(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")
    url: Annotated[str, Field(max_length=4000)] | None = None
    refusal: Refusal | None = None
