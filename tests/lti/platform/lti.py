"""The platform's LTI side: lti1p3platform's abstract classes filled in with this platform's
registration, key pair and memory.

What is the library's code: the OIDC login initiation URL (OIDCLoginAbstract), the launch's
claims, signing and preflight checks (LTIAdvantageMessageLaunchAbstract), the access token
(LTI1P3PlatformConfAbstract.get_access_token), the deep-linking response's signature and type
check (validate_deeplinking_resp), the bearer-token check and the JSON of the AGS and NRPS
services (AssignmentsGradesService, NamesRoleProvisioningService). What is added here and
says so: the line-item store and the score's validation (the library leaves them abstract),
and the checks views.py makes around the library (see there).
"""

from __future__ import annotations

import datetime as dt
import typing as t

from django.http import HttpResponse
from django.template.loader import render_to_string
from jwcrypto.jwk import JWK
from lti1p3platform.exceptions import LineItemNotFoundException, LtiServiceException
from lti1p3platform.framework.django.message_launch import DjangoLTI1P3MessageLaunch
from lti1p3platform.framework.django.oidc_login import DjangoAPIOIDCLogin
from lti1p3platform.lineitem import TLineItem
from lti1p3platform.ltiplatform import LTI1P3PlatformConfAbstract
from lti1p3platform.membership import Context as NrpsContext
from lti1p3platform.registration import Registration
from lti1p3platform.score import TScore, UpdateScoreStatus
from lti1p3platform.service_connector import AssignmentsGradesService, NamesRoleProvisioningService, TPage

from .state import ROLES, STATE, line_item_url, line_items_url

SCORE_MEDIA_TYPE = "application/vnd.ims.lis.v1.score+json"
LINEITEM_MEDIA_TYPE = "application/vnd.ims.lis.v2.lineitem+json"
ACTIVITY_PROGRESS = {"Initialized", "Started", "InProgress", "Submitted", "Completed"}
GRADING_PROGRESS = {"FullyGraded", "Pending", "PendingManual", "Failed", "NotReady"}


def _new_key_pair() -> tuple[str, str]:
    key = JWK.generate(kty="RSA", size=2048)
    return key.export_to_pem(private_key=True, password=None).decode(), key.export_to_pem().decode()


# One key pair for the life of the process: its JWKS is what the tool fetches.
PRIVATE_KEY, PUBLIC_KEY = _new_key_pair()


class PlatformConf(LTI1P3PlatformConfAbstract):
    """The platform's registration of the tool, read from memory on each request."""

    base_url: str

    def init_platform_config(self, **kwargs: t.Any) -> None:
        self.base_url = kwargs["base_url"]

    def get_registration_by_params(self, **kwargs: t.Any) -> Registration:
        tool = STATE.tool
        registration = (
            Registration()
            .set_iss(self.base_url)
            .set_client_id(tool.client_id)
            .set_deployment_id(tool.deployment_id)
            .set_oidc_login_url(tool.login_url)
            .set_launch_url(tool.launch_url)
            .set_deeplink_launch_url(tool.launch_url)
            .set_platform_public_key(PUBLIC_KEY)
            .set_platform_private_key(PRIVATE_KEY)
        )
        if tool.jwks:
            registration.set_tool_key_set(t.cast(t.Any, tool.jwks))
        else:
            registration.set_tool_key_set_url(tool.jwks_url)
        return registration


def platform_conf(base_url: str) -> PlatformConf:
    conf = PlatformConf(base_url=base_url)
    conf.get_registration()
    return conf


class LoginInitiation(DjangoAPIOIDCLogin):
    """Step one of a launch: send the browser to the tool's login initiation URL."""

    def set_lti_message_hint(self, **kwargs: t.Any) -> None:
        self._lti_message_hint = kwargs["hint"]


class Launch(DjangoLTI1P3MessageLaunch):
    """Step three: the id_token, built and signed by the library, posted to the tool by a form
    rendered with Django's escaping (the library's own Jinja form does not escape `state`)."""

    def render_launch_form(self, launch_data: dict[str, t.Any], **kwargs: t.Any) -> HttpResponse:
        return HttpResponse(render_to_string("platform/launch_form.html", launch_data))


class Grades(AssignmentsGradesService):
    """AGS for one context. The library authenticates the bearer token and shapes the answers;
    the line items and scores live in STATE (added here: the library leaves storage abstract)."""

    def __init__(self, request: t.Any, conf: PlatformConf, *, context_id: str, line_item_id: str | None = None):
        base = conf.base_url
        super().__init__(
            request,
            conf,
            lineitems_url=line_items_url(base, context_id),
            lineitem_url=line_item_url(base, context_id, line_item_id) if line_item_id else None,
        )
        self.base_url = base
        self.context_id = context_id

    def _item(self, line_item_id: str):
        item = STATE.line_items.get(line_item_id)
        if item is None or item.context_id != self.context_id:
            raise LineItemNotFoundException(line_item_id)
        return item

    def find_lineitems(
        self,
        page: int = 1,
        limit: int | None = None,
        line_item_id: str | None = None,
        resource_link_id: str | None = None,
        resource_id: str | None = None,
        tag: str | None = None,
        **_other_query: t.Any,
    ) -> TPage:
        # One page holds every item: the harness never has enough to page through.
        items = [
            item.as_json(self.base_url)
            for item in list(STATE.line_items.values())
            if item.context_id == self.context_id
            and (resource_link_id is None or item.resource_link_id == resource_link_id)
            and (resource_id is None or item.resource_id == resource_id)
            and (tag is None or item.tag == tag)
        ]
        return {"content": items, "has_next": False, "next": None}

    def find_lineitem(self, line_item_id: str) -> TLineItem:
        return t.cast(TLineItem, self._item(line_item_id).as_json(self.base_url))

    def create_lineitem(self, creation_data: TLineItem) -> TLineItem:
        if not isinstance(creation_data, dict):
            raise LtiServiceException("A line item is a JSON object", 400)
        try:
            item = STATE.add_line_item(self.context_id, dict(creation_data))
        except ValueError as exc:
            raise LtiServiceException(str(exc), 400) from exc
        return t.cast(TLineItem, item.as_json(self.base_url))

    def update_lineitem(self, update_data: TLineItem) -> TLineItem:
        item = self._item(update_data["id"])
        with STATE.lock:
            if "label" in update_data:
                item.label = str(update_data["label"])
            if "scoreMaximum" in update_data:
                item.score_maximum = float(update_data["scoreMaximum"])
        return t.cast(TLineItem, item.as_json(self.base_url))

    def delete_lineitem(self, line_item_id: str) -> None:
        item = self._item(line_item_id)
        with STATE.lock:
            STATE.line_items.pop(item.id, None)

    def update_score(self, line_item_id: str, score: TScore) -> UpdateScoreStatus:
        item = self._item(line_item_id)
        data: dict[str, t.Any] = dict(score) if isinstance(score, dict) else {}
        user = STATE.user_by_sub(str(data.get("userId", "")))
        context = STATE.contexts[self.context_id]
        if user is None or user.username not in context.members:
            raise LtiServiceException("userId is not a member of this context", 400)
        problems = []
        if data.get("activityProgress") not in ACTIVITY_PROGRESS:
            problems.append("activityProgress")
        if data.get("gradingProgress") not in GRADING_PROGRESS:
            problems.append("gradingProgress")
        try:
            timestamp = dt.datetime.fromisoformat(str(data.get("timestamp")))
        except ValueError:
            timestamp = None
            problems.append("timestamp")
        if timestamp is not None and timestamp.tzinfo is None:
            problems.append("timestamp (no time zone)")
        if "scoreGiven" in data:
            given, maximum = data.get("scoreGiven"), data.get("scoreMaximum")
            if not isinstance(given, int | float) or given < 0:
                problems.append("scoreGiven")
            if not isinstance(maximum, int | float) or maximum <= 0:
                problems.append("scoreMaximum")
        if problems:
            raise LtiServiceException(f"invalid score: {', '.join(problems)}", 400)
        with STATE.lock:
            earlier = [s for s in STATE.scores if s["line_item_id"] == item.id and s["userId"] == user.sub]
            if earlier and timestamp is not None and dt.datetime.fromisoformat(earlier[-1]["timestamp"]) > timestamp:
                return UpdateScoreStatus.OLD_TIMESTAMP
            STATE.scores.append(
                {
                    **data,
                    "line_item_id": item.id,
                    "line_item": line_item_url(self.base_url, self.context_id, item.id),
                    "resource_link_id": item.resource_link_id,
                    "username": user.username,
                    "content_type": self.request.content_type if self.request else None,
                }
            )
        return UpdateScoreStatus.SUCCESS

    def get_results(
        self, line_item_id: str, page: int = 1, limit: int | None = None, user_id: str | None = None, **_other: t.Any
    ) -> TPage:
        item = self._item(line_item_id)
        latest: dict[str, dict[str, t.Any]] = {}
        for score in list(STATE.scores):
            if score["line_item_id"] == item.id and (user_id is None or score["userId"] == user_id):
                latest[score["userId"]] = score
        results = [
            {
                "id": f"{line_item_url(self.base_url, self.context_id, item.id)}/results/{sub}",
                "scoreOf": line_item_url(self.base_url, self.context_id, item.id),
                "userId": sub,
                "resultScore": score.get("scoreGiven"),
                "resultMaximum": score.get("scoreMaximum"),
                "comment": score.get("comment", ""),
            }
            for sub, score in latest.items()
        ]
        return {"content": results, "has_next": False, "next": None}


class Roster(NamesRoleProvisioningService):
    """NRPS for one context: the library authenticates and shapes the membership container."""

    def __init__(self, request: t.Any, conf: PlatformConf, *, context_id: str, memberships_url: str):
        super().__init__(request, conf, memberships_url)
        self.context_id = context_id

    def get_member_data_page(
        self,
        page: int = 1,
        limit: int | None = None,
        role: str | None = None,
        since: str | None = None,
        **_other_query: t.Any,
    ) -> TPage:
        context = STATE.contexts[self.context_id]
        wanted = ROLES.get(role, role) if role else None
        members = [
            STATE.users[name].member()
            for name in list(context.members)
            if wanted is None or STATE.users[name].role == wanted
        ]
        return {"content": members, "has_next": False, "next": None}

    def get_context_by_id(self) -> NrpsContext:
        context = STATE.contexts[self.context_id]
        return NrpsContext(id=context.id, label=context.label, title=context.title)

    def is_resource_link_valid(self, context_id: str, resource_link_id: str) -> bool:
        link = STATE.resource_links.get(resource_link_id)
        return link is not None and link.context_id == context_id
