"""The provider's password policy, the generator, and the Dovecot-readable hashes."""

from __future__ import annotations

import pytest

from helpdesk.mailbox.passwords import hash_password, verify_password
from helpdesk.mailbox.policy import PasswordPolicy

POLICY = PasswordPolicy(min_length=8)
ADDRESS = "jean.dupont@exemple.fr"


@pytest.mark.parametrize(
    ("password", "problems"),
    [
        ("Vacances-en-Bretagne-7", []),
        ("7lapins-Bleus", []),
        ("court1A", ["too_short"]),
        ("-Vacances-en-Bretagne", ["bad_start"]),
        (" Vacances-en-Bretagne", ["bad_start"]),
        ("azerty123", ["common"]),
        ("Azerty123!", ["common"]),
        ("P@ssw0rd2024", ["common"]),
        ("Soleil2024!", ["common"]),
        ("motdepasse", ["common"]),
        ("Été2023!!", ["common"]),
        ("12345678", ["common"]),
        ("83920174", ["common"]),
        ("aaaaaaaaaa", ["common"]),
        ("abcdefgh1", ["common"]),
        ("Dupont-2024-xyz", ["contains_address"]),
        ("exemple-forever-9", ["contains_address"]),
        ("Vacances\tBretagne", ["control"]),
    ],
)
def test_problems(password: str, problems: list[str]) -> None:
    """Each rule is reported by its code; a good password has none."""
    assert POLICY.problems(password, ADDRESS) == problems


def test_mismatch_and_length_from_the_profile() -> None:
    """The confirmation must match; the minimum length comes from the profile."""
    assert PasswordPolicy(12).problems("Ourson-7z", ADDRESS) == ["too_short"]
    assert POLICY.problems("Vacances-en-Bretagne-7", ADDRESS, "Vacances-en-Bretagne-8") == [
        "mismatch"
    ]


def test_generated_passwords_pass() -> None:
    """The generator's passwords meet the policy, are long and differ."""
    generated = {POLICY.generate() for _ in range(50)}
    assert len(generated) == 50
    assert all(len(p) >= 16 and not POLICY.problems(p, ADDRESS) for p in generated)


def test_hash_is_dovecot_argon2id() -> None:
    """Hashes carry Dovecot's {ARGON2ID} scheme prefix and verify."""
    stored = hash_password("Vacances-en-Bretagne-7")
    assert stored.startswith("{ARGON2ID}$argon2id$v=19$")
    assert verify_password(stored, "Vacances-en-Bretagne-7")
    assert not verify_password(stored, "vacances-en-bretagne-7")
    assert not verify_password(stored.removeprefix("{ARGON2ID}"), "Vacances-en-Bretagne-7")
