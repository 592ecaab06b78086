"""The LTI 1.3 checks PyLTI1p3 makes on a login and a launch, with what it leaves out.

PyLTI1p3 validates the OIDC state, the id_token's signature against the platform's JWKS,
the registration (issuer and client id), the deployment and the message's claims. Around
it, Estaleiro adds:
- an unknown deployment is refused, not recorded (django-lti would create it inactive);
- the nonce is single-use: a launch replayed with the same id_token is refused;
- the clock skew with the platform is bounded (`LTI_CLOCK_SKEW_SECONDS` either way);
- the platform's JWKS is cached (`LTI_JWKS_CACHE_SECONDS`), fetched again once when a
  token names a key the cache does not have (the platform rotated its keys), and fetched
  with a timeout.
"""

from __future__ import annotations

import hashlib
import time

import jwt
import requests
from django.conf import settings
from django.core.cache import cache
from lti_tool.models import LtiDeployment
from lti_tool.utils import DjangoToolConfig, _prepare_deployment
from pylti1p3.contrib.django import DjangoCacheDataStorage, DjangoMessageLaunch
from pylti1p3.exception import LtiException
from pylti1p3.launch_data_storage.base import DisableSessionId

HTTP_TIMEOUT_SECONDS = 10


class TimeoutSession(requests.Session):
    """A requests session whose calls give up after `HTTP_TIMEOUT_SECONDS`: an LMS that does
    not answer must not hold a web worker."""

    def request(self, method, url, *args, **kwargs):
        kwargs.setdefault("timeout", HTTP_TIMEOUT_SECONDS)
        return super().request(method, url, *args, **kwargs)


class ToolConfig(DjangoToolConfig):
    """django-lti's lookups, but a deployment must have been registered (and be active)."""

    def _deployment(self, **lookups):
        self.deployment = LtiDeployment.objects.filter(is_active=True, registration__is_active=True, **lookups).first()
        return _prepare_deployment(self.deployment) if self.deployment is not None else None

    def find_deployment(self, iss, deployment_id):
        return self._deployment(
            registration__uuid=self.registration_uuid, registration__issuer=iss, deployment_id=deployment_id
        )

    def find_deployment_by_params(self, iss, deployment_id, client_id, *args, **kwargs):
        lookups = {"registration__issuer": iss, "registration__client_id": client_id, "deployment_id": deployment_id}
        if self.registration_uuid is not None:
            lookups["registration__uuid"] = self.registration_uuid
        return self._deployment(**lookups)


def data_storage() -> DjangoCacheDataStorage:
    return DjangoCacheDataStorage(cache_name="default")


class MessageLaunch(DjangoMessageLaunch):
    def __init__(self, request, tool_config=None, **kwargs):
        storage = kwargs.pop("launch_data_storage", None) or data_storage()
        kwargs["requests_session"] = kwargs.get("requests_session") or TimeoutSession()
        super().__init__(request, tool_config or ToolConfig(), launch_data_storage=storage, **kwargs)
        self.set_public_key_caching(storage, cache_lifetime=settings.LTI_JWKS_CACHE_SECONDS)

    def get_public_key(self):
        try:
            return super().get_public_key()
        except LtiException as exc:
            if "Unable to find public key" not in str(exc):
                raise
        # The cached key set lacks the token's key: the platform may have rotated its keys.
        assert self._registration is not None
        key_set_url = self._registration.get_key_set_url() or ""
        storage = self._public_key_cache_data_storage
        if storage is not None:
            with DisableSessionId(storage):
                storage.set_value("key-set-url-" + hashlib.md5(key_set_url.encode("utf-8")).hexdigest(), None, 1)
        self._registration.set_key_set(None)
        return super().get_public_key()

    def validate_jwt_signature(self):
        """PyLTI1p3's check, with a bounded clock skew: PyJWT's default leeway is none, which
        refuses a platform whose clock runs a second ahead."""
        public_key, key_alg = self.get_public_key()
        try:
            jwt.decode(
                self._get_id_token(),
                public_key,
                algorithms=[key_alg],
                options={"verify_aud": False, "require": ["exp", "iat"]},
                leeway=settings.LTI_CLOCK_SKEW_SECONDS,
            )
        except jwt.InvalidTokenError as exc:
            raise LtiException(f"Can't decode id_token: {exc}") from exc
        return self

    def validate(self):
        super().validate()
        self._nonce_consume()
        return self

    def _nonce_consume(self) -> None:
        """A nonce is good for one launch. PyLTI1p3 only checks that the login issued it, so
        the same id_token could be posted again: remember every nonce used for as long as
        its token could still be accepted."""
        body = self._get_jwt_body()
        nonce = str(body.get("nonce", ""))
        issuer = str(body.get("iss", ""))
        lifetime = max(int(float(str(body.get("exp", 0))) - time.time()), 0) + 2 * settings.LTI_CLOCK_SKEW_SECONDS + 60
        key = "lti-nonce-used:" + hashlib.sha256(f"{issuer}\n{nonce}".encode()).hexdigest()
        if not cache.add(key, 1, timeout=lifetime):
            raise LtiException("This launch was already used (replayed nonce)")
