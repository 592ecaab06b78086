"""What a refused LTI login or launch tells the person, from PyLTI1p3's reason."""

from django.utils.translation import gettext_lazy as _

UNKNOWN_PLATFORM = _(
    "This LMS is not registered in Estaleiro (or its registration was switched off). "
    "An administrator registers it at /lti/plataformas/."
)

# (a fragment of PyLTI1p3's message, what the person reads), first match wins.
EXPLANATIONS = [
    ("replayed nonce", _("This launch was already used. Open the activity again from the LMS.")),
    (
        "State not found",
        _(
            "Estaleiro could not confirm this launch came from your LMS session: the start took too long, or the "
            "browser blocked cookies inside the LMS page. Open the activity again, or open it in a new window."
        ),
    ),
    ("Missing state", _("The launch came without its state. Open the activity again from the LMS.")),
    ("Invalid Nonce", _("The launch's nonce was not issued by Estaleiro. Open the activity again from the LMS.")),
    ("nonce", _("The launch's nonce is missing or unknown. Open the activity again from the LMS.")),
    ("Registration not found", UNKNOWN_PLATFORM),
    ("Client id not registered", UNKNOWN_PLATFORM),
    (
        "Unable to find deployment",
        _(
            "This deployment of the LMS is not registered in Estaleiro. An administrator adds its deployment id "
            "to the platform's registration."
        ),
    ),
    ("Signature has expired", _("The launch expired before it reached Estaleiro. Open the activity again.")),
    ("not yet valid", _("The launch is dated in the future: the LMS's clock and Estaleiro's disagree.")),
    ("Signature verification failed", _("The launch's signature does not match the LMS's keys: refused.")),
    ("Unable to find public key", _("The launch is signed with a key the LMS does not publish: refused.")),
    ("Can't decode id_token", _("The launch's token could not be verified: refused.")),
    ("Invalid id_token", _("The launch's token is malformed: refused.")),
    ("Invalid JWT format", _("The launch's token is malformed: refused.")),
    ("Error during fetch URL", _("Estaleiro could not fetch the LMS's public keys. Try again in a moment.")),
    ("Launch data not found", _("This LMS session has expired. Start again from the LMS.")),
]


def explain(exc: Exception) -> str:
    text = str(exc)
    for fragment, message in EXPLANATIONS:
        if fragment.lower() in text.lower():
            return str(message)
    return str(_("The LMS launch could not be verified, so nothing was done. Open the activity again from the LMS."))


MALFORMED = ("Missing id_token", "Missing state param", "JWT must contain 3 parts", "Invalid JWT format")


def is_malformed(exc: Exception) -> bool:
    """The request carries no launch to check (no token, no state, not a JWT)."""
    return any(fragment in str(exc) for fragment in MALFORMED)
