"""HTTP routes for seekers and saved searches (added to the ``/v1`` API by ``create_api``).

Nothing returned carries contact details: a registration's answer is its id; matches are
public postings (contacts masked) with the fit score and its reasons.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from fastapi import FastAPI, HTTPException, Query, Response
from pydantic import ValidationError

from aggregator.seekers.model import SeekerRegistration, SubscriptionRequest
from aggregator.seekers.service import Seekers

if TYPE_CHECKING:
    from aggregator.app import App


def _missing(seeker_id: str) -> HTTPException:
    return HTTPException(status_code=404, detail={"parameter": "seeker_id", "message": f"no seeker {seeker_id!r}"})


def register_seeker_routes(api: FastAPI, app_state: App) -> None:
    """Add ``/v1/seekers`` and ``/v1/subscriptions`` to ``api``."""

    def seekers() -> Seekers:
        return Seekers.of(app_state)

    @api.post("/v1/seekers", status_code=201, summary="Register a seeker (求职登记); contact details kept encrypted")
    async def register(body: SeekerRegistration) -> dict[str, Any]:
        seeker_id = seekers().register(body)
        return {"id": seeker_id, "matches": f"/v1/seekers/{seeker_id}/matches"}

    @api.get("/v1/seekers/{seeker_id}/matches",
             summary="Open jobs a seeker or saved search suits, ranked, with reasons")
    async def matches(seeker_id: str, limit: Annotated[int, Query(ge=1, le=100)] = 20) -> dict[str, Any]:
        found = seekers().matches(seeker_id, app_state.backend, limit)
        if found is None:
            raise _missing(seeker_id)
        return {"id": seeker_id, "matches": found}

    @api.delete("/v1/seekers/{seeker_id}", status_code=204,
                summary="Remove a seeker and everything about them (profile, index keys, notifications)")
    async def delete(seeker_id: str) -> Response:
        if not seekers().delete(seeker_id):
            raise _missing(seeker_id)
        return Response(status_code=204)

    @api.post("/v1/subscriptions", status_code=201, summary="Save a search (the /v1/search parameters) and be told "
              "of new jobs it finds")
    async def subscribe(body: SubscriptionRequest) -> dict[str, Any]:
        try:
            body.search_query()
        except (ValueError, ValidationError) as exc:
            first = exc.errors()[0] if isinstance(exc, ValidationError) else None
            param = str(first["loc"][0]) if first and first["loc"] else str(exc).split(":")[0]
            message = f"{param}: {first['msg']}" if first else str(exc)
            raise HTTPException(status_code=422, detail={"parameter": param, "message": message}) from exc
        sub_id = seekers().subscribe(body)
        return {"id": sub_id, "matches": f"/v1/seekers/{sub_id}/matches"}

    @api.delete("/v1/subscriptions/{subscription_id}", status_code=204, summary="Remove a saved search")
    async def unsubscribe(subscription_id: str) -> Response:
        if not seekers().delete(subscription_id):
            raise _missing(subscription_id)
        return Response(status_code=204)
