"""The OpenAPI schema's description of refusals, with what only the composition knows: which
operations the rate limits of `portal.ratelimits` count (429)."""

import re

from django.urls import Resolver404, resolve

from portal.ratelimits import SIGN_IN_VIEWS, limited
from services.core.openapi import ContractAutoSchema


class PortalAutoSchema(ContractAutoSchema):
    def rate_limited(self) -> bool:
        # The operation's URL name, from its path with each parameter filled in.
        try:
            match = resolve(re.sub(r"\{[^/}]+\}", "1", self.path))
        except Resolver404:
            return super().rate_limited()
        # Signing in has its own guard, which answers 429 too (accounts.signin).
        return match.view_name in SIGN_IN_VIEWS or limited(match.view_name, self.method)
