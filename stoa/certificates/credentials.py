"""The certificate as a verifiable credential, beside the PDF: an Open Badges 3.0
OpenBadgeCredential (a W3C Verifiable Credential 2.0) signed with the site's own Ed25519 key.

Credentials leave the site and are checked for years, so what they contain is a contract:

- URLs, built here from an origin rather than reversed from the URLconf, so that renaming a
  route cannot break every credential already downloaded. stoa/certificates/urls.py serves them:
    /certificates/<code>/                 the verification page; the credential's id
    /certificates/<code>/credential.json  the credential itself, made fresh on each download
    /certificates/<code>/status.json      status_document(): valid, revoked or unknown
    /certificates/keys/site.json          public_key_document(): the issuer, naming its key
- The proof: a Data Integrity proof with the eddsa-jcs-2022 cryptosuite (W3C Data Integrity
  EdDSA Cryptosuites v1.0). The document and the proof's options are each canonicalised with
  JCS (RFC 8785) and hashed with SHA-256, and Ed25519 signs the two hashes. Any Data Integrity
  library can check it; sign_document() and verify_proof() are proven on the spec's test vector.
- The status: credentialStatus {"id": <status URL>, "type": "StoaCertificateStatus"}, a
  resource of this site's own, {"code", "status": "valid" | "revoked", "revoked_at", "reason"}
  (or "unknown"). The W3C Bitstring Status List exists to hide which credential is checked;
  every certificate here has a public page anyway, and a plain document is easy to read.

The key comes from STOA_CREDENTIAL_KEY (a setting or the environment: a PEM private key, or the
base64 of a 32-byte seed), else from DATA_DIR/credential-key.pem, made on first use. Back the
file up with the database: with a new key every credential already downloaded stops verifying.
"""

import base64
import binascii
import contextlib
import datetime
import functools
import hashlib
import json
import math
import os
import re
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from django.utils.text import get_text_list
from django.utils.translation import gettext as _

from stoa.certificates import selectors
from stoa.certificates.models import Certificate
from stoa.courses.models import Course

JSONObject = dict[str, Any]
# Takes a status URL, returns the status document; raises OSError or ValueError when it
# cannot (no network, not JSON).
Fetch = Callable[[str], JSONObject]

VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
CID_CONTEXT = "https://www.w3.org/ns/cid/v1"
ISSUER_PATH = "/certificates/keys/site.json"
KEY_ID_FRAGMENT = "key-1"
STATUS_TYPE = "StoaCertificateStatus"
CRYPTOSUITE = "eddsa-jcs-2022"
KEY_FILE_NAME = "credential-key.pem"

# The multicodec code of an Ed25519 public key, 0xed, as an unsigned varint.
ED25519_PUB_PREFIX = b"\xed\x01"
BASE58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
# A 64-byte signature is at most 88 base58 characters: refuse longer proof values before
# decoding them (decoding is quadratic in the length).
MAX_PROOF_VALUE_LENGTH = 100
# Another site's documents, fetched by `stoa certificate verify`: small, and soon or never.
FETCH_TIMEOUT_SECONDS = 10
FETCH_MAX_BYTES = 64 * 1024
STATUS_PATH = re.compile(r"/certificates/(?P<code>[^/]+)/status\.json$")
DATE_TIME = re.compile(r"-?\d{4,}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)?")


# --- URLs ---------------------------------------------------------------------------------


def verification_url(code: str, *, origin: str) -> str:
    return f"{origin.rstrip('/')}/certificates/{code}/"


def credential_url(code: str, *, origin: str) -> str:
    return f"{verification_url(code, origin=origin)}credential.json"


def status_url(code: str, *, origin: str) -> str:
    return f"{verification_url(code, origin=origin)}status.json"


def issuer_url(*, origin: str) -> str:
    return f"{origin.rstrip('/')}{ISSUER_PATH}"


def key_id(*, origin: str) -> str:
    return f"{issuer_url(origin=origin)}#{KEY_ID_FRAGMENT}"


# --- The site's key -----------------------------------------------------------------------


def site_key() -> Ed25519PrivateKey:
    """The site's signing key: from STOA_CREDENTIAL_KEY, else from the data folder, made there
    on first use."""
    configured = getattr(settings, "STOA_CREDENTIAL_KEY", "") or os.environ.get(
        "STOA_CREDENTIAL_KEY", ""
    )
    return _site_key(configured.strip(), Path(settings.DATA_DIR))


# Cached on what decides the key, so a process reads the file once, and a test that points
# DATA_DIR elsewhere gets that folder's key.
@functools.cache
def _site_key(configured: str, data_dir: Path) -> Ed25519PrivateKey:
    if configured:
        return _key_from_setting(configured)
    path = data_dir / KEY_FILE_NAME
    if not path.exists():
        _create_key_file(path)
    return _key_from_pem(path.read_bytes(), where=str(path))


def _key_from_setting(text: str) -> Ed25519PrivateKey:
    if text.startswith("-----BEGIN"):
        return _key_from_pem(text.encode(), where="STOA_CREDENTIAL_KEY")
    try:
        # Standard or URL-safe alphabet, padded or not: whatever the key was pasted as.
        seed = base64.b64decode(
            text.translate(str.maketrans("-_", "+/")) + "=" * (-len(text) % 4), validate=True
        )
    except binascii.Error:
        seed = b""
    if len(seed) != 32:
        raise ImproperlyConfigured(
            "STOA_CREDENTIAL_KEY is neither a PEM private key nor the base64 of a 32-byte "
            "Ed25519 seed"
        )
    return Ed25519PrivateKey.from_private_bytes(seed)


def _key_from_pem(pem: bytes, *, where: str) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        # The message names where the key is, never any of the key.
        raise ImproperlyConfigured(f"{where} is not an unencrypted PEM private key") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ImproperlyConfigured(f"{where} is not an Ed25519 key")
    return key


def _create_key_file(path: Path) -> None:
    """Writes a new key to `path` unless another process has just written one: the first wins.

    The key is written whole to a temporary file of its own, then linked to the path: link()
    fails when the path exists, so two processes starting together cannot both put a key
    there, and no reader ever sees half a file.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    # mkstemp makes the file readable by this user alone (0600) before the key is in it.
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".credential-key-")
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(pem)
            file.flush()
            os.fsync(file.fileno())
        with contextlib.suppress(FileExistsError):  # Another process won: theirs is read.
            os.link(temporary, path)
    finally:
        os.unlink(temporary)


def public_key_multibase(public_key: Ed25519PublicKey) -> str:
    """The key as a Multikey's publicKeyMultibase: "z" and the base58btc of 0xed01 + the key."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return "z" + base58_encode(ED25519_PUB_PREFIX + raw)


def public_key_from_multibase(text: str) -> Ed25519PublicKey:
    """Raises ValueError unless `text` is an Ed25519 publicKeyMultibase."""
    data = multibase_decode(text)
    if len(data) != 34 or not data.startswith(ED25519_PUB_PREFIX):
        raise ValueError("not an Ed25519 public key")
    return Ed25519PublicKey.from_public_bytes(data[2:])


def public_key_document(origin: str) -> JSONObject:
    """What /certificates/keys/site.json serves: a controlled identifier document (W3C
    Controlled Identifiers v1.0) whose id is the credentials' issuer and names the site's key.

    Verifiers follow a proof's verificationMethod (site.json#key-1) to this document, find
    the key by its fragment, and check that it is listed under assertionMethod and that the
    document's id is the credential's issuer; a bare Multikey at this URL would fail those
    checks.
    """
    controller = issuer_url(origin=origin)
    method = key_id(origin=origin)
    return {
        "@context": CID_CONTEXT,
        "id": controller,
        "verificationMethod": [
            {
                "id": method,
                "type": "Multikey",
                "controller": controller,
                "publicKeyMultibase": public_key_multibase(site_key().public_key()),
            }
        ],
        "assertionMethod": [method],
    }


def public_key_from_document(document: JSONObject, verification_method: str) -> Ed25519PublicKey:
    """The key that `verification_method` names in the issuer's document, checked as the
    Controlled Identifiers' "retrieve verification method" algorithm asks; raises ValueError.

    For another site's credentials: fetch the method's URL without its fragment, pass the
    document here, then the key to verify_credential().
    """
    controller = verification_method.partition("#")[0]
    if document.get("id") != controller:
        raise ValueError("the issuer's document is not the one the proof names")
    methods = document.get("verificationMethod")
    found = [
        method
        for method in (methods if isinstance(methods, list) else [])
        if isinstance(method, dict) and method.get("id") == verification_method
    ]
    if len(found) != 1 or found[0].get("controller") != controller:
        raise ValueError("the issuer's document does not hold the proof's key")
    if verification_method not in _as_list(document.get("assertionMethod")):
        raise ValueError("the issuer's document does not let that key sign credentials")
    multibase = found[0].get("publicKeyMultibase")
    if found[0].get("type") != "Multikey" or not isinstance(multibase, str):
        raise ValueError("the proof's key is not a Multikey")
    return public_key_from_multibase(multibase)


# --- The credential -----------------------------------------------------------------------


def credential_for(
    certificate: Certificate, *, origin: str, created: datetime.datetime | None = None
) -> JSONObject:
    """The certificate as a signed OpenBadgeCredential, ready to serve as JSON.

    Made on each download rather than stored: what it says comes from the certificate's own
    copy, fixed when issued, and the proof is made `created` (now by default).
    """
    kind = certificate.get_kind_display()
    name = f"{kind} — {certificate.course_title}"
    course_url = origin.rstrip("/") + certificate.course.get_absolute_url()
    unsigned: JSONObject = {
        "@context": [VC_CONTEXT, OB_CONTEXT],
        "id": verification_url(certificate.code, origin=origin),
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {
            "id": issuer_url(origin=origin),
            "type": ["Profile"],
            "name": settings.SITE_NAME,
            "url": origin.rstrip("/") + "/",
        },
        "validFrom": _timestamp(certificate.issued_at),
        "name": name,
        "description": _description(certificate),
        "credentialSubject": {
            "type": ["AchievementSubject"],
            # Open Badges' way to name a holder who has no identifier of their own to prove
            # (its recommended practices' "name identifier" example): the name, in plain text,
            # as on the PDF.
            "identifier": [
                {
                    "type": "IdentityObject",
                    "identityType": "ext:name",
                    "hashed": False,
                    "identityHash": certificate.holder_name,
                }
            ],
            "achievement": {
                # The course's two certificates are two achievements, so each has its own id.
                "id": f"{course_url}#certificate-{certificate.kind}",
                "type": ["Achievement"],
                "achievementType": "Certificate",
                "name": name,
                "description": certificate.course.summary or certificate.course_title,
                "criteria": {"narrative": _criteria(certificate.course, certificate.kind)},
            },
        },
        "credentialStatus": {
            "id": status_url(certificate.code, origin=origin),
            "type": STATUS_TYPE,
        },
    }
    return sign_document(
        unsigned,
        private_key=site_key(),
        verification_method=key_id(origin=origin),
        created=created or timezone.now(),
    )


def _description(certificate: Certificate) -> str:
    values = {
        "holder": certificate.holder_name,
        "completed": certificate.steps_completed,
        "steps": certificate.step_count,
        "title": certificate.course_title,
        "partners": get_text_list(certificate.organisations, _("and")),
        "site": settings.SITE_NAME,
    }
    if certificate.organisations:
        text = _(
            "%(holder)s completed %(completed)s of %(steps)s steps of %(title)s, a course by "
            "%(partners)s on %(site)s"
        )
    else:
        text = _("%(holder)s completed %(completed)s of %(steps)s steps of %(title)s on %(site)s")
    text %= values
    if certificate.test_average is not None:
        # Hundredths of a percent, written without a float: 8250 is "82.5".
        average = format(Decimal(certificate.test_average).scaleb(-2).normalize(), "f")
        text += _(", with an average test score of %(average)s%%") % {"average": average}
    return text + "."


def _criteria(course: Course, kind: str) -> str:
    # The certificate keeps no copy of the thresholds it was issued under: these are the
    # course's, which change only when its package is imported again.
    if kind == Certificate.Kind.PARTICIPATION:
        if course.certificate_participation_percent is None:
            return _("Mark the course's steps complete, as its Certificate of Participation asks.")
        return _("Mark at least %(percent)s%% of the course's steps complete.") % {
            "percent": course.certificate_participation_percent
        }
    steps = course.certificate_steps_completed_percent
    if steps is None:
        steps = Course.CERTIFICATE_STEPS_COMPLETED_DEFAULT
    if not course.test_count:
        return _("Mark at least %(percent)s%% of the course's steps complete.") % {"percent": steps}
    score = course.certificate_tests_score_percent
    if score is None:
        score = Course.CERTIFICATE_TESTS_SCORE_DEFAULT
    return _(
        "Mark at least %(steps)s%% of the course's steps complete, answer every question of "
        "every test, and score at least %(score)s%% on average over the tests' best scores."
    ) % {"steps": steps, "score": score}


def status_document(certificate: Certificate) -> JSONObject:
    """What the certificate's status URL serves."""
    return {
        "code": certificate.code,
        "status": "revoked" if certificate.is_revoked else "valid",
        "revoked_at": _timestamp(certificate.revoked_at) if certificate.revoked_at else None,
        "reason": certificate.revoked_reason if certificate.is_revoked else "",
    }


def local_status(code: str) -> JSONObject:
    """The status from this site's database, as its status URL would serve it; for an unknown
    code, {"code": code, "status": "unknown"} (which the status URL serves with a 404)."""
    certificate = selectors.certificate_at(code)
    if certificate is None:
        return {"code": code, "status": "unknown"}
    return status_document(certificate)


# --- Verification -------------------------------------------------------------------------


@dataclass(frozen=True)
class VerificationResult:
    valid: bool
    # Why not, in words to show a person: "signature does not match", "revoked on ...".
    reasons: tuple[str, ...] = ()
    code: str | None = None
    # What the site said: "valid", "revoked" or "unknown"; None when it was not asked.
    status: str | None = None
    # What the credential says (its name, holder, date and issuer), once its proof is known to
    # be good: before that it could say anything.
    summary: str = ""

    def lines(self) -> list[str]:
        """What `stoa certificate verify` prints."""
        verdict = (
            ["Valid: the signature matches and the certificate stands."]
            if self.valid
            else [f"Not valid: {reason.rstrip('.')}." for reason in self.reasons]
        )
        return verdict + ([self.summary] if self.summary else [])


def verify_credential(
    data: Any, *, public_key: Ed25519PublicKey | None = None, fetch: Fetch | None = None
) -> VerificationResult:
    """Checks a credential's form, its proof (by `public_key`, by default the site's own) and
    its status, as `fetch` gets it (by default from this site's database)."""
    problems = _form_problems(data)
    if problems:
        return VerificationResult(valid=False, reasons=tuple(problems))
    status_id = data["credentialStatus"]["id"]
    code = STATUS_PATH.search(status_id)["code"]  # type: ignore[index]  # _form_problems checked
    key = public_key if public_key is not None else site_key().public_key()
    if not verify_proof(data, key):
        # A status fetched for a credential that is not what was issued would mean nothing.
        return VerificationResult(valid=False, reasons=("signature does not match",), code=code)
    summary = _summary(data, code)

    try:
        status = (fetch or _fetch_locally)(status_id)
    except (OSError, ValueError) as error:
        reason = f"status could not be checked: {error}"
        return VerificationResult(valid=False, reasons=(reason,), code=code, summary=summary)
    said = status.get("status") if isinstance(status, dict) else None
    if said == "unknown":
        reason = "unknown certificate"
    elif not isinstance(status, dict) or status.get("code") != code:
        reason = "the status is not this certificate's"
    elif said == "valid":
        return VerificationResult(valid=True, code=code, status="valid", summary=summary)
    elif said == "revoked":
        reason = f"revoked on {_date(status.get('revoked_at'))}"
        if status.get("reason"):
            reason += f": {status['reason']}"
    else:
        reason = "the status is not understood"
    known = said if said in ("revoked", "unknown") else None
    return VerificationResult(
        valid=False, reasons=(reason,), code=code, status=known, summary=summary
    )


def verify_file(data: Any) -> VerificationResult:
    """Checks a credential as `stoa certificate verify FILE` does. One of this site's (its
    issuer is this site's SITE_URL) is checked against the site's own key and database. Another
    Stoa site's is checked against the key its issuer publishes and the status it serves,
    fetched over HTTPS: proof that that site issued it, whoever runs that site."""
    issuer = data.get("issuer") if isinstance(data, dict) else None
    issuer_id = issuer.get("id") if isinstance(issuer, dict) else issuer
    if issuer_id == issuer_url(origin=settings.SITE_URL):
        return verify_credential(data)
    problems = _form_problems(data)
    if problems:
        return VerificationResult(valid=False, reasons=tuple(problems))
    method = data["proof"]["verificationMethod"]
    try:
        key = public_key_from_document(get_json(method.partition("#")[0]), method)
    except (OSError, ValueError) as error:
        reason = f"the issuer's key could not be had: {error}"
        return VerificationResult(valid=False, reasons=(reason,))
    return verify_credential(data, public_key=key, fetch=_fetch_status_over_https)


def get_json(url: str) -> JSONObject:
    """A JSON object from another site, over HTTPS; raises OSError or ValueError. The one place
    credentials touch the network (tests replace it)."""
    if urllib.parse.urlsplit(url).scheme != "https":
        raise ValueError(f"{url} is not an https URL")
    request = urllib.request.Request(
        url, headers={"Accept": "application/json", "User-Agent": "Stoa credential check"}
    )
    with urllib.request.urlopen(request, timeout=FETCH_TIMEOUT_SECONDS) as response:
        body = response.read(FETCH_MAX_BYTES + 1)
    if len(body) > FETCH_MAX_BYTES:
        raise ValueError(f"{url} is larger than a key or status document")
    data = json.loads(body)
    if not isinstance(data, dict):
        raise ValueError(f"{url} is not a JSON object")
    return data


def _fetch_status_over_https(url: str) -> JSONObject:
    try:
        return get_json(url)
    except urllib.error.HTTPError as error:
        # The status URL of a code the site does not have answers 404.
        if error.code == 404:
            return {"status": "unknown"}
        raise


def _fetch_locally(url: str) -> JSONObject:
    match = STATUS_PATH.search(url)
    if match is None:
        raise ValueError(f"not a status URL: {url}")
    return local_status(match["code"])


def _form_problems(data: Any) -> list[str]:
    if not isinstance(data, dict):
        return ["not a credential: not a JSON object"]
    problems = []
    context = data.get("@context")
    if not isinstance(context, list) or context[:1] != [VC_CONTEXT] or OB_CONTEXT not in context:
        problems.append("not an Open Badges 3.0 credential: @context")
    types = data.get("type")
    if not isinstance(types, list) or not {"VerifiableCredential", "OpenBadgeCredential"} <= {
        t for t in types if isinstance(t, str)
    }:
        problems.append("not an Open Badges 3.0 credential: type")
    status = data.get("credentialStatus")
    if (
        not isinstance(status, dict)
        or status.get("type") != STATUS_TYPE
        or not isinstance(status.get("id"), str)
        or not STATUS_PATH.search(status["id"])
    ):
        problems.append("not a certificate's credential: credentialStatus")
    proof = data.get("proof")
    if not isinstance(proof, dict):
        problems.append("no proof")
    else:
        if proof.get("cryptosuite") != CRYPTOSUITE or proof.get("type") != "DataIntegrityProof":
            problems.append(f"the proof is not {CRYPTOSUITE}")
        if proof.get("proofPurpose") != "assertionMethod":
            problems.append("the proof is not for asserting a credential")
        # The key must be the issuer's own: the key's document is the issuer's id.
        issuer = data.get("issuer")
        issuer_id = issuer.get("id") if isinstance(issuer, dict) else issuer
        method = proof.get("verificationMethod")
        if not isinstance(method, str) or method.partition("#")[0] != issuer_id:
            problems.append("the proof's key is not the issuer's")
    return problems


def _summary(data: JSONObject, code: str) -> str:
    """ "Certificate of Achievement — Title, held by Name, from 2026-06-30, code …, issued by
    Stoa (https://…/certificates/keys/site.json)", from whatever of that the credential has."""
    parts = [str(data.get("name") or "A credential")]
    subject = data.get("credentialSubject")
    identifiers = subject.get("identifier") if isinstance(subject, dict) else None
    names = [
        identifier["identityHash"]
        for identifier in _as_list(identifiers)
        if isinstance(identifier, dict)
        and identifier.get("identityType") in ("name", "ext:name")
        and identifier.get("hashed") is False
        and isinstance(identifier.get("identityHash"), str)
    ]
    if names:
        parts.append(f"held by {names[0]}")
    parts.append(f"from {_date(data.get('validFrom'))}")
    parts.append(f"code {code}")
    issuer = data.get("issuer")
    issuer_name = issuer.get("name") if isinstance(issuer, dict) else None
    issuer_id = issuer.get("id") if isinstance(issuer, dict) else issuer
    parts.append(
        f"issued by {issuer_name} ({issuer_id})" if issuer_name else f"issued by {issuer_id}"
    )
    return ", ".join(parts)


def _date(value: Any) -> str:
    try:
        return datetime.datetime.fromisoformat(value).date().isoformat()
    except (TypeError, ValueError):
        return "an unknown date"


# --- eddsa-jcs-2022 -----------------------------------------------------------------------


def sign_document(
    document: JSONObject,
    *,
    private_key: Ed25519PrivateKey,
    verification_method: str,
    created: datetime.datetime,
) -> JSONObject:
    """A copy of `document` with an eddsa-jcs-2022 proof: the spec's Create Proof algorithm."""
    if "proof" in document:
        raise ValueError("the document already has a proof")
    proof: JSONObject = {
        "type": "DataIntegrityProof",
        "cryptosuite": CRYPTOSUITE,
        "created": _timestamp(created),
        "verificationMethod": verification_method,
        "proofPurpose": "assertionMethod",
    }
    # The proof carries the document's @context, and so signs it twice over: the spec strongly
    # advises it, so that proofs can later be combined into sets and chains.
    if "@context" in document:
        proof["@context"] = document["@context"]
    signature = private_key.sign(_hash_data(document, proof))
    return {**document, "proof": {**proof, "proofValue": "z" + base58_encode(signature)}}


def verify_proof(document: JSONObject, public_key: Ed25519PublicKey) -> bool:
    """True when the document's proof is an eddsa-jcs-2022 proof of exactly this document by
    this key: the spec's Verify Proof algorithm."""
    proof = document.get("proof")
    if not isinstance(proof, dict):
        return False
    options = {name: value for name, value in proof.items() if name != "proofValue"}
    unsecured = {name: value for name, value in document.items() if name != "proof"}
    proof_value = proof.get("proofValue")
    if options.get("type") != "DataIntegrityProof" or options.get("cryptosuite") != CRYPTOSUITE:
        return False
    if not isinstance(proof_value, str) or len(proof_value) > MAX_PROOF_VALUE_LENGTH:
        return False
    if "created" in options and not (
        isinstance(options["created"], str) and DATE_TIME.fullmatch(options["created"])
    ):
        return False
    if "@context" in options:
        # The document's contexts must begin with the proof's, in order; what is signed is
        # the document under the proof's contexts.
        signed_contexts = _as_list(options["@context"])
        if _as_list(document.get("@context"))[: len(signed_contexts)] != signed_contexts:
            return False
        unsecured["@context"] = options["@context"]
    try:
        signature = multibase_decode(proof_value)
        public_key.verify(signature, _hash_data(unsecured, options))
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True


def _hash_data(unsecured_document: JSONObject, proof_options: JSONObject) -> bytes:
    # The proof configuration's hash first, then the document's, as the spec's Hashing says.
    return (
        hashlib.sha256(canonical_json(proof_options)).digest()
        + hashlib.sha256(canonical_json(unsecured_document)).digest()
    )


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _timestamp(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- JCS, base58btc -----------------------------------------------------------------------


def canonical_json(value: Any) -> bytes:
    """The JSON Canonicalization Scheme (RFC 8785): no whitespace, object members sorted by
    their names' UTF-16 code units, strings and numbers written as ECMAScript's JSON.stringify
    writes them, in UTF-8. Raises ValueError for what JCS cannot write (NaN, infinities, lone
    surrogates) and TypeError for what is not JSON."""
    return _jcs(value).encode("utf-8")  # A lone surrogate raises UnicodeEncodeError here.


def _jcs(value: Any) -> str:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        # Python escapes exactly what ECMAScript does: the quote, the backslash, and control
        # characters (\b \t \n \f \r by name, the rest as lower-case \u00xx).
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, int):
        # Beyond 2**53 an integer is not exactly a double, which JCS numbers are.
        return str(value) if abs(value) <= 2**53 else _es_number(float(value))
    if isinstance(value, float):
        return _es_number(value)
    if isinstance(value, list | tuple):
        return "[" + ",".join(_jcs(item) for item in value) + "]"
    if isinstance(value, dict):
        if not all(isinstance(name, str) for name in value):
            raise TypeError("JSON object member names are strings")
        # UTF-16 code units, not code points: they differ above U+FFFF. Big-endian UTF-16
        # bytes compare as the code units do.
        members = sorted(value.items(), key=lambda member: member[0].encode("utf-16-be"))
        return "{" + ",".join(f"{_jcs(name)}:{_jcs(item)}" for name, item in members) + "}"
    raise TypeError(f"not JSON: {type(value).__name__}")


def _es_number(number: float) -> str:
    """A double as ECMAScript's Number.prototype.toString writes it (ECMA-262, 7.1.12.1)."""
    if not math.isfinite(number):
        raise ValueError("JSON has no NaN or Infinity")
    if number == 0:
        return "0"  # Negative zero too.
    # repr() gives the shortest digits that read back as the same double, as ECMAScript does.
    _sign, digit_tuple, exponent = Decimal(repr(abs(number))).as_tuple()
    assert isinstance(exponent, int)  # A finite number's is.
    digits = "".join(map(str, digit_tuple))
    significant = digits.rstrip("0")
    exponent += len(digits) - len(significant)
    # The number is 0.<significant> * 10**n, with k significant digits.
    k = len(significant)
    n = exponent + k
    if k <= n <= 21:
        text = significant + "0" * (n - k)
    elif 0 < n <= 21:
        text = f"{significant[:n]}.{significant[n:]}"
    elif -6 < n <= 0:
        text = "0." + "0" * -n + significant
    else:
        mantissa = significant if k == 1 else f"{significant[0]}.{significant[1:]}"
        text = f"{mantissa}e{'+' if n >= 1 else '-'}{abs(n - 1)}"
    return ("-" if number < 0 else "") + text


def base58_encode(data: bytes) -> str:
    """Base58 in the Bitcoin alphabet (base58btc)."""
    number = int.from_bytes(data, "big")
    characters = []
    while number:
        number, remainder = divmod(number, 58)
        characters.append(BASE58_ALPHABET[remainder])
    # Each leading zero byte is a leading "1", the zero digit, so that none is lost.
    zeros = len(data) - len(data.lstrip(b"\0"))
    return "1" * zeros + "".join(reversed(characters))


def base58_decode(text: str) -> bytes:
    number = 0
    for character in text:
        digit = BASE58_ALPHABET.find(character)
        if digit < 0:
            raise ValueError(f"not base58btc: {character!r}")
        number = number * 58 + digit
    zeros = len(text) - len(text.lstrip("1"))
    return b"\0" * zeros + number.to_bytes((number.bit_length() + 7) // 8, "big")


def multibase_decode(text: str) -> bytes:
    """Only base58btc, "z", the one Data Integrity's Ed25519 proofs and keys use."""
    if not text.startswith("z"):
        raise ValueError("not base58btc multibase")
    return base58_decode(text[1:])
