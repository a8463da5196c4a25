"""Signed Message-IDs and subject tokens."""

from __future__ import annotations

from helpdesk.email.threads import MessageIds, reply_subject, subject_reference


def test_our_ids_name_their_ticket_and_cannot_be_forged() -> None:
    """An id we made gives back its ticket; a changed or foreign one gives nothing."""
    ids = MessageIds("key-one", "zindex.fr")
    mid = ids.new("HD-7K3M9QXR")
    assert mid.startswith("<hd-7k3m9qxr.") and mid.endswith("@zindex.fr>")
    assert ids.reference_of(mid) == "HD-7K3M9QXR"
    assert ids.reference_of(mid.upper()) == "HD-7K3M9QXR"  # some systems change case
    forged = mid.replace("hd-7k3m9qxr", "hd-7k3m9qxs")
    assert ids.reference_of(forged) is None
    assert MessageIds("key-two", "zindex.fr").reference_of(mid) is None
    assert ids.reference_of("<abc@zindex.fr>") is None
    assert ids.new("HD-7K3M9QXR") != mid


def test_found_in_a_bounce_and_stable_per_message() -> None:
    """An id quoted in a bounce is found; a message's ticket reference is stable."""
    ids = MessageIds("key", "zindex.fr")
    mid = ids.new("HD-00000001")
    assert ids.find_in(f"Message-ID: <hd-fake.x.y@zindex.fr>\nMessage-ID: {mid}\n") == "HD-00000001"
    ref = ids.reference_for("<abc@exemple.fr>")
    assert ref == ids.reference_for("<abc@exemple.fr>") != ids.reference_for("<abd@exemple.fr>")
    assert ref.startswith("HD-") and len(ref) == 11


def test_subject_token_and_reply_subject() -> None:
    """The token is read from a subject; reply subjects do not pile up prefixes."""
    assert subject_reference("Re: Aide [hd-7k3m9qxr]") == "HD-7K3M9QXR"
    assert subject_reference("Aide [HD-7K3M9QXI]") is None  # I is not in the alphabet
    assert reply_subject("RE: Re: TR: Aide [HD-7K3M9QXR]", "HD-7K3M9QXR", "x") == (
        "Re: Aide [HD-7K3M9QXR]"
    )
    assert reply_subject("", "HD-7K3M9QXR", "Votre demande") == "Re: Votre demande [HD-7K3M9QXR]"
