import base64
import datetime
import json
import os
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.core.exceptions import ImproperlyConfigured

from stoa.certificates import credentials
from stoa.certificates.credentials import (
    base58_decode,
    base58_encode,
    canonical_json,
    credential_for,
    multibase_decode,
    public_key_document,
    public_key_from_document,
    public_key_from_multibase,
    sign_document,
    site_key,
    status_url,
    verify_credential,
    verify_proof,
)
from stoa.certificates.models import Certificate
from stoa.learning.services import enrol

ORIGIN = "https://stoa.example.edu"
ISSUED_AT = datetime.datetime(2026, 6, 30, 14, 5, 9, 123456, tzinfo=datetime.UTC)
PROOF_CREATED = datetime.datetime(2026, 7, 1, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def data_dir(settings, tmp_path, monkeypatch) -> Path:
    """A data folder of this test's own, and no key configured: the key is made there."""
    settings.DATA_DIR = tmp_path / "data"
    settings.STOA_CREDENTIAL_KEY = ""
    monkeypatch.delenv("STOA_CREDENTIAL_KEY", raising=False)
    return settings.DATA_DIR


@pytest.fixture
def certificate(course, learner) -> Certificate:
    enrolment = enrol(user=learner, course=course)
    return Certificate.objects.create(
        kind=Certificate.Kind.ACHIEVEMENT,
        enrolment=enrolment,
        user=learner,
        course=course,
        run=enrolment.run,
        issued_at=ISSUED_AT,
        holder_name="Zoë Ngata-Ōtaki",
        course_title=course.title,
        organisations=["Harbour University", "Coast College"],
        week_count=3,
        hours_per_week=3,
        lead_educator="Dr Ana Lima",
        outcomes=["Read a chart critically"],
        weeks=["Week 1 topic", "Week 2 topic", "Week 3 topic"],
        steps_completed=9,
        step_count=9,
        test_average=8250,
    )


def raw(key: Ed25519PrivateKey | Ed25519PublicKey) -> bytes:
    if isinstance(key, Ed25519PrivateKey):
        return key.private_bytes_raw()
    return key.public_bytes_raw()


def pem(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def downloaded(certificate: Certificate) -> dict:
    """The credential as a holder has it: written out as JSON and read back."""
    return json.loads(json.dumps(credential_for(certificate, origin=ORIGIN)))


# --- The key ------------------------------------------------------------------------------


def test_the_key_is_made_once_in_the_data_folder_readable_by_the_site_alone(data_dir):
    key = site_key()

    path = data_dir / "credential-key.pem"
    assert os.stat(path).st_mode & 0o777 == 0o600
    written = path.read_bytes()
    assert raw(site_key()) == raw(key)
    credentials._site_key.cache_clear()  # As a new process would: read from the file.
    assert raw(site_key()) == raw(key)
    assert path.read_bytes() == written
    assert sorted(p.name for p in data_dir.iterdir()) == ["credential-key.pem"]


def test_of_two_processes_making_the_key_at_once_the_first_wins(data_dir, monkeypatch):
    first = Ed25519PrivateKey.generate()
    link = os.link

    def other_process_links_first(source, destination):
        Path(destination).write_bytes(pem(first))
        link(source, destination)

    monkeypatch.setattr(os, "link", other_process_links_first)

    assert raw(site_key()) == raw(first)
    assert sorted(p.name for p in data_dir.iterdir()) == ["credential-key.pem"]


def test_the_key_can_be_given_as_a_base64_seed_in_settings(settings, data_dir):
    seed = bytes(range(32))
    settings.STOA_CREDENTIAL_KEY = base64.b64encode(seed).decode()

    assert raw(site_key()) == seed
    assert not data_dir.exists()


def test_the_key_can_be_given_as_pem_in_the_environment(monkeypatch, data_dir):
    key = Ed25519PrivateKey.generate()
    monkeypatch.setenv("STOA_CREDENTIAL_KEY", pem(key).decode())

    assert raw(site_key()) == raw(key)
    assert not data_dir.exists()


@pytest.mark.parametrize("value", ["c2hvcnQ=", "not base64 at all!", "-----BEGIN PRIVATE KEY-----"])
def test_a_key_setting_that_is_not_an_ed25519_key_is_refused_without_echoing_it(settings, value):
    settings.STOA_CREDENTIAL_KEY = value

    with pytest.raises(ImproperlyConfigured) as refusal:
        site_key()
    assert value not in str(refusal.value)


def test_the_public_key_document_names_the_site_key_as_the_issuers(certificate):
    document = public_key_document(ORIGIN)
    credential = downloaded(certificate)

    assert document == {
        "@context": "https://www.w3.org/ns/cid/v1",
        "id": f"{ORIGIN}/certificates/keys/site.json",
        "verificationMethod": [
            {
                "id": f"{ORIGIN}/certificates/keys/site.json#key-1",
                "type": "Multikey",
                "controller": f"{ORIGIN}/certificates/keys/site.json",
                "publicKeyMultibase": document["verificationMethod"][0]["publicKeyMultibase"],
            }
        ],
        "assertionMethod": [f"{ORIGIN}/certificates/keys/site.json#key-1"],
    }
    multibase = document["verificationMethod"][0]["publicKeyMultibase"]
    assert multibase.startswith("z6Mk")  # What every Ed25519 Multikey starts with.
    assert multibase_decode(multibase) == b"\xed\x01" + raw(site_key().public_key())
    assert raw(public_key_from_multibase(multibase)) == raw(site_key().public_key())
    # Others check from the document alone: the proof's key, found as the spec finds it.
    assert credential["issuer"]["id"] == document["id"]
    key = public_key_from_document(document, credential["proof"]["verificationMethod"])
    assert verify_credential(credential, public_key=key).valid


def test_a_key_not_listed_for_signing_in_the_document_is_refused(certificate):
    document = public_key_document(ORIGIN)
    document["assertionMethod"] = []

    with pytest.raises(ValueError, match="does not let that key sign"):
        public_key_from_document(document, f"{ORIGIN}/certificates/keys/site.json#key-1")


# --- The credential -----------------------------------------------------------------------


def test_the_credential_is_an_open_badge_signed_by_the_site(settings, certificate):
    settings.SITE_NAME = "Stoa Learning"
    credential = credential_for(certificate, origin=ORIGIN + "/", created=PROOF_CREATED)

    proof = credential.pop("proof")
    achievement = credential["credentialSubject"].pop("achievement")
    assert credential == {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        ],
        "id": f"{ORIGIN}/certificates/{certificate.code}/",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {
            "id": f"{ORIGIN}/certificates/keys/site.json",
            "type": ["Profile"],
            "name": "Stoa Learning",
            "url": f"{ORIGIN}/",
        },
        "validFrom": "2026-06-30T14:05:09Z",
        "name": "Certificate of Achievement — Reading Data in the News",
        "description": "Zoë Ngata-Ōtaki completed 9 of 9 steps of Reading Data in the News, a "
        "course by Harbour University and Coast College on Stoa Learning, with an average "
        "test score of 82.5%.",
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": [
                {
                    "type": "IdentityObject",
                    "identityType": "ext:name",
                    "hashed": False,
                    "identityHash": "Zoë Ngata-Ōtaki",
                }
            ],
        },
        "credentialStatus": {
            "id": f"{ORIGIN}/certificates/{certificate.code}/status.json",
            "type": "StoaCertificateStatus",
        },
    }
    assert achievement["id"] == f"{ORIGIN}/courses/reading-data/#certificate-achievement"
    assert achievement["type"] == ["Achievement"]
    assert achievement["name"] == "Certificate of Achievement — Reading Data in the News"
    assert achievement["description"] == "How to read the numbers in a news story."
    assert achievement["criteria"]["narrative"].startswith("Mark at least 90% of")
    assert {name: value for name, value in proof.items() if name != "proofValue"} == {
        "type": "DataIntegrityProof",
        "cryptosuite": "eddsa-jcs-2022",
        "created": "2026-07-01T09:00:00Z",
        "verificationMethod": f"{ORIGIN}/certificates/keys/site.json#key-1",
        "proofPurpose": "assertionMethod",
        "@context": credential["@context"],
    }
    assert proof["proofValue"].startswith("z")


def test_the_credential_verifies(certificate):
    result = verify_credential(downloaded(certificate))

    assert result.valid
    assert result.reasons == ()
    assert result.code == certificate.code
    assert result.status == "valid"


def test_changing_any_one_character_of_the_credential_makes_it_fail(certificate):
    """Every character of the file, one at a time: the holder's name, the dates, the proof
    value, the names of members, the punctuation. A change either leaves no JSON to read
    or leaves a credential that does not verify."""
    text = json.dumps(downloaded(certificate), ensure_ascii=False, separators=(",", ":"))
    assert verify_credential(json.loads(text)).valid
    checked = 0
    for position, character in enumerate(text):
        changed = text[:position] + chr(ord(character) ^ 1) + text[position + 1 :]
        try:
            data = json.loads(changed)
        except ValueError:
            continue
        assert not verify_credential(data).valid, f"changed at {position}: {changed}"
        checked += 1
    assert checked > len(text) // 2


@pytest.mark.parametrize(
    "old, new", [("Zoë", "Zoe"), ("2026-06-30T14:05:09Z", "2026-06-30T14:05:08Z")]
)
def test_a_changed_name_or_date_does_not_match_the_signature(certificate, old, new):
    text = json.dumps(downloaded(certificate), ensure_ascii=False)
    assert old in text

    result = verify_credential(json.loads(text.replace(old, new)))

    assert not result.valid
    assert result.reasons == ("signature does not match",)


def test_a_changed_proof_value_does_not_match_the_signature(certificate):
    credential = downloaded(certificate)
    value = credential["proof"]["proofValue"]
    credential["proof"]["proofValue"] = value[:40] + ("2" if value[40] != "2" else "3") + value[41:]

    assert verify_credential(credential).reasons == ("signature does not match",)


def test_another_key_does_not_verify_the_credential(certificate):
    result = verify_credential(
        downloaded(certificate), public_key=Ed25519PrivateKey.generate().public_key()
    )

    assert result.reasons == ("signature does not match",)


def test_a_revoked_certificates_credential_fails_on_its_status(certificate):
    credential = downloaded(certificate)
    certificate.revoked_at = datetime.datetime(2026, 12, 1, 16, 30, tzinfo=datetime.UTC)
    certificate.revoked_reason = "Work copied from another learner."
    certificate.save()

    result = verify_credential(credential)

    assert not result.valid
    assert result.reasons == ("revoked on 2026-12-01: Work copied from another learner.",)
    assert result.status == "revoked"
    assert credentials.local_status(certificate.code) == {
        "code": certificate.code,
        "status": "revoked",
        "revoked_at": "2026-12-01T16:30:00Z",
        "reason": "Work copied from another learner.",
    }


def test_a_credential_for_a_certificate_the_site_does_not_have_fails(certificate):
    credential = downloaded(certificate)
    Certificate.objects.filter(pk=certificate.pk).delete()

    result = verify_credential(credential)

    assert result.reasons == ("unknown certificate",)
    assert result.status == "unknown"


def test_the_status_is_asked_of_the_given_fetch_at_the_credentials_status_url(certificate):
    credential = downloaded(certificate)
    asked = []

    def fetch(url):
        asked.append(url)
        return {"code": certificate.code, "status": "valid", "revoked_at": None, "reason": ""}

    assert verify_credential(credential, fetch=fetch).valid
    assert asked == [status_url(certificate.code, origin=ORIGIN)]


def test_a_status_that_cannot_be_had_or_is_another_certificates_fails(certificate):
    credential = downloaded(certificate)

    def unreachable(url):
        raise OSError("Connection refused")

    def other(url):
        return {"code": "2" * 20, "status": "valid"}

    assert verify_credential(credential, fetch=unreachable).reasons == (
        "status could not be checked: Connection refused",
    )
    assert verify_credential(credential, fetch=other).reasons == (
        "the status is not this certificate's",
    )


def test_what_is_not_a_signed_certificate_credential_fails_with_its_reasons(certificate):
    credential = downloaded(certificate)
    del credential["proof"]
    not_ours = downloaded(certificate)
    not_ours["issuer"]["id"] = "https://elsewhere.example/issuer"

    assert verify_credential(credential).reasons == ("no proof",)
    assert verify_credential(not_ours).reasons == ("the proof's key is not the issuer's",)
    assert not verify_credential([]).valid


def test_the_credential_holds_no_floats(certificate):
    """JCS writes numbers as ECMAScript does; with none, no implementation can differ."""

    def walk(value):
        assert not isinstance(value, float)
        if isinstance(value, dict):
            value = list(value.values())
        for item in value if isinstance(value, list) else []:
            walk(item)

    walk(credential_for(certificate, origin=ORIGIN))


# --- The cryptosuite, JCS and base58btc against published vectors --------------------------

# The eddsa-jcs-2022 test vector of W3C Data Integrity EdDSA Cryptosuites v1.0 (Appendix A,
# TestVectors/keyPair.json and TestVectors/eddsa-jcs-2022/ in w3c/vc-di-eddsa).
W3C_PUBLIC_KEY = "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
W3C_PRIVATE_KEY = "z3u2en7t5LR2WtQH5PfFqMqwVHBeXouLzo6haApm8XHqvjxq"
W3C_CONTEXT = [
    "https://www.w3.org/ns/credentials/v2",
    "https://www.w3.org/ns/credentials/examples/v2",
]
W3C_UNSIGNED = {
    "@context": W3C_CONTEXT,
    "id": "urn:uuid:58172aac-d8ba-11ed-83dd-0b3aef56cc33",
    "type": ["VerifiableCredential", "AlumniCredential"],
    "name": "Alumni Credential",
    "description": "A minimum viable example of an Alumni Credential.",
    "issuer": "https://vc.example/issuers/5678",
    "validFrom": "2023-01-01T00:00:00Z",
    "credentialSubject": {"id": "did:example:abcdefgh", "alumniOf": "The School of Examples"},
}
W3C_METHOD = f"did:key:{W3C_PUBLIC_KEY}#{W3C_PUBLIC_KEY}"
W3C_PROOF_VALUE = (
    "z2HnFSSPPBzR36zdDgK8PbEHeXbR56YF24jwMpt3R1eHXQzJDMWS93FCzpvJpwTWd3GAVFuUfjoJdcnTMuVor51aX"
)


def test_the_proof_is_the_one_the_eddsa_jcs_2022_test_vector_gives():
    # The private key's multibase is the multicodec ed25519-priv (0x8026) and the seed.
    private = multibase_decode(W3C_PRIVATE_KEY)
    assert private[:2] == b"\x80\x26"
    key = Ed25519PrivateKey.from_private_bytes(private[2:])
    assert raw(public_key_from_multibase(W3C_PUBLIC_KEY)) == raw(key.public_key())

    signed = sign_document(
        W3C_UNSIGNED,
        private_key=key,
        verification_method=W3C_METHOD,
        created=datetime.datetime(2023, 2, 24, 23, 36, 38, tzinfo=datetime.UTC),
    )

    assert canonical_json(W3C_UNSIGNED) == (
        b'{"@context":["https://www.w3.org/ns/credentials/v2","https://www.w3.org/ns/credentials/'
        b'examples/v2"],"credentialSubject":{"alumniOf":"The School of Examples","id":"did:exampl'
        b'e:abcdefgh"},"description":"A minimum viable example of an Alumni Credential.","id":"ur'
        b'n:uuid:58172aac-d8ba-11ed-83dd-0b3aef56cc33","issuer":"https://vc.example/issuers/5678"'
        b',"name":"Alumni Credential","type":["VerifiableCredential","AlumniCredential"],"validFr'
        b'om":"2023-01-01T00:00:00Z"}'
    )
    assert signed["proof"] == {
        "type": "DataIntegrityProof",
        "cryptosuite": "eddsa-jcs-2022",
        "created": "2023-02-24T23:36:38Z",
        "verificationMethod": W3C_METHOD,
        "proofPurpose": "assertionMethod",
        "@context": W3C_CONTEXT,
        "proofValue": W3C_PROOF_VALUE,
    }
    assert verify_proof(signed, public_key_from_multibase(W3C_PUBLIC_KEY))
    signed["validFrom"] = "2023-01-01T00:00:01Z"
    assert not verify_proof(signed, public_key_from_multibase(W3C_PUBLIC_KEY))


def test_jcs_sorts_members_by_utf16_code_units_and_writes_unicode_as_itself():
    """RFC 8785, 3.2.3: U+1F600 sorts before U+FB33, as its UTF-16 surrogates do."""
    value = {
        "\u20ac": "Euro Sign",
        "\r": "Carriage Return",
        "\ufb33": "Hebrew Letter Dalet With Dagesh",
        "1": "One",
        "\U0001f600": "Emoji: Grinning Face",
        "\u0080": "Control",
        "\u00f6": "Latin Small Letter O With Diaeresis",
    }

    expected = (
        '{"\\r":"Carriage Return","1":"One","\u0080":"Control","\u00f6":"Latin Small Letter O '
        'With Diaeresis","\u20ac":"Euro Sign","\U0001f600":"Emoji: Grinning Face","\ufb33":'
        '"Hebrew Letter Dalet With Dagesh"}'
    )
    assert canonical_json(value) == expected.encode()


def test_jcs_writes_numbers_strings_and_literals_as_rfc_8785_does():
    """RFC 8785, 3.2.2's example, read from its JSON text."""
    value = json.loads(
        '{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],'
        ' "string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/",'
        ' "literals": [null, true, false]}'
    )

    expected = (
        '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],'
        '"string":"\u20ac$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}'
    )
    assert canonical_json(value) == expected.encode()


@pytest.mark.parametrize(
    "number, text",
    [
        (0.0, "0"),
        (-0.0, "0"),
        (1.0, "1"),
        (-1.5, "-1.5"),
        (1e20, "100000000000000000000"),
        (1e21, "1e+21"),
        (0.000001, "0.000001"),
        (1e-7, "1e-7"),
        (123e-20, "1.23e-18"),
        (5e-324, "5e-324"),
        (1.7976931348623157e308, "1.7976931348623157e+308"),
        (2**60, "1152921504606847000"),
    ],
)
def test_jcs_writes_numbers_as_ecmascript_does(number, text):
    assert canonical_json(number) == text.encode()


@pytest.mark.parametrize("value", [float("nan"), float("inf"), "\ud800", {1: "a"}, {"a": b"b"}])
def test_jcs_refuses_what_it_cannot_write(value):
    with pytest.raises((ValueError, TypeError)):
        canonical_json(value)


@pytest.mark.parametrize(
    "data, text",
    [
        (b"", ""),
        (b"Hello World!", "2NEpo7TZRRrLZSi2U"),
        (
            b"The quick brown fox jumps over the lazy dog.",
            "USm3fpXnKG5EUBx2ndxBDMPVciP5hGey2Jh4NDv6gmeo1LkMeiKrLJUUBk6Z",
        ),
        (bytes.fromhex("0000287fb4cd"), "11233QC4"),
    ],
)
def test_base58btc_encodes_and_decodes_the_published_examples(data, text):
    """draft-msporny-base58's examples; its third prints one "1" too many, as implementations
    (and Bitcoin's own) agree: two zero bytes are two "1"s."""
    assert base58_encode(data) == text
    assert base58_decode(text) == data


def test_base58btc_refuses_characters_outside_its_alphabet():
    with pytest.raises(ValueError):
        base58_decode("0OIl")


# --- Checking a file, as `stoa certificate verify` does ------------------------------------


def test_this_sites_credential_is_checked_against_its_own_key_and_database(settings, certificate):
    settings.SITE_URL = ORIGIN
    credential = downloaded(certificate)

    result = credentials.verify_file(credential)

    assert result.valid
    assert result.lines() == [
        "Valid: the signature matches and the certificate stands.",
        "Certificate of Achievement — Reading Data in the News, held by Zoë Ngata-Ōtaki, from "
        f"2026-06-30, code {certificate.code}, issued by Stoa "
        f"({ORIGIN}/certificates/keys/site.json)",
    ]


def test_a_revoked_certificate_is_reported_with_its_reason(settings, certificate):
    settings.SITE_URL = ORIGIN
    credential = downloaded(certificate)
    certificate.revoked_at = datetime.datetime(2026, 12, 1, tzinfo=datetime.UTC)
    certificate.revoked_reason = "Issued in error."
    certificate.save()

    result = credentials.verify_file(credential)

    assert result.lines()[0] == "Not valid: revoked on 2026-12-01: Issued in error."


def test_another_sites_credential_is_checked_against_what_that_site_publishes(
    settings, certificate, monkeypatch
):
    """The network is the boundary: the other site's key document and status are served by
    a stand-in for get_json."""
    settings.SITE_URL = "https://this-site.example"
    credential = downloaded(certificate)
    served = {
        f"{ORIGIN}/certificates/keys/site.json": public_key_document(ORIGIN),
        status_url(certificate.code, origin=ORIGIN): credentials.status_document(certificate),
    }
    monkeypatch.setattr(credentials, "get_json", lambda url: served[url])
    assert credentials.verify_file(credential).valid

    credentials._site_key.cache_clear()
    settings.DATA_DIR = settings.DATA_DIR.parent / "another-key"
    served[f"{ORIGIN}/certificates/keys/site.json"] = public_key_document(ORIGIN)
    assert credentials.verify_file(credential).reasons == ("signature does not match",)


def test_another_sites_key_is_fetched_over_https_only(settings, certificate):
    settings.SITE_URL = "https://this-site.example"
    credential = credential_for(certificate, origin="http://plain.example")

    result = credentials.verify_file(credential)

    assert result.reasons == (
        "the issuer's key could not be had: "
        "http://plain.example/certificates/keys/site.json is not an https URL",
    )
