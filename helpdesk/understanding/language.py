"""Which language, French or English, the customer wrote in.

The customer's language is the one of their own words: pasted non-delivery reports,
quoted replies and SMTP transcripts are mostly English and are set aside first.
Function words decide; a character model trained on the intents corpus breaks ties
on short or unusual text; the caller's hint (the conversation's language) wins when
the text says nothing, e.g. "ok" or "IMAP ?".
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Final

from helpdesk.understanding._text import fold, words
from helpdesk.understanding.pasted import split_pasted

# Function words and chat-speak frequent in customers' messages, accent-folded. Words
# both languages share ("mail", "ok", "outlook", "spam") are absent on purpose.
_FRENCH: Final = frozenset(
    """
    je j me m moi mon ma mes ton ta tes son sa ses notre nos votre vos leur leurs le la les
    l un une des du de d au aux et ou mais donc car ni est sont suis es etes sommes ai as a
    avons avez ont pas ne n plus rien jamais que qu qui quoi quand comment pourquoi combien
    ou quel quelle quels quelles ce c cet cette ces ca cela ceci il ils elle elles on nous
    vous tu te t y en dans sur sous avec sans pour par chez vers entre depuis apres avant
    tres trop aussi bien mal encore deja toujours peux peut pouvez veux voudrais voudrait
    faut faire fait dois doit merci bonjour bonsoir salut svp stp bjr slt cordialement
    boite mot passe oublie recu recois recoit envoye envoi envoyer recevoir courriel
    adresse destinataire messagerie pourriez auriez avoir etre marche fonctionne plus
    jai jarrive narrive arrive pk pq quand meme oui non mdp besoin aide aidez probleme
    erreur compte parametres configurer serveur renvoie revient
    """.split()
)
_ENGLISH: Final = frozenset(
    """
    i me my mine you your yours he she it its we our they their them the a an and or but
    so because is are am was were be been being have has had do does did don doesn didn
    can cannot can't cant could would should will won wont not no nothing never what
    which who when where why how this that these those there here to of in on at by for
    from with without into about after before since again still already very too also
    please thanks thank hello hi hey dear regards cheers pls plz thx ty u ur im ive dont
    get got getting send sent sending receive received receiving mailbox inbox forgot
    password account settings set up setup help need want wants work works working
    doesnt isnt wasnt anyone someone yes email emails address reply any
    """.split()
)

# Quoted fragments inside a sentence: « ... », "...", '...' of three words or more.
_QUOTED: Final = re.compile(r"[\"«“][^\"»”]{8,}[\"»”]")

# A word in both lists ("a", "on", "me") says nothing about the language.
_SHARED: Final = _FRENCH & _ENGLISH
_FRENCH_ONLY: Final = _FRENCH - _SHARED
_ENGLISH_ONLY: Final = _ENGLISH - _SHARED

Scorer = Callable[[str], float]


def own_words(text: str) -> str:
    """`text` without quoted or pasted foreign material; the whole text if nothing is left."""
    kept, _ = split_pasted(text)
    own = _QUOTED.sub(" ", "\n".join(kept))
    return own if words(own) else text


def function_word_balance(text: str) -> int:
    """French function words minus English ones in `text`."""
    tokens = words(text)
    return sum(t in _FRENCH_ONLY for t in tokens) - sum(t in _ENGLISH_ONLY for t in tokens)


def detect_language(
    text: str, hint: str | None = None, french_probability: Scorer | None = None
) -> str:
    """ "fr" or "en" for `text`.

    `hint` is the language to assume when the text does not decide; `french_probability`
    (optional) maps text to P(French) and is consulted when function words tie.
    """
    own = own_words(text)
    balance = function_word_balance(own)
    if balance >= 1 and (balance >= 2 or len(words(own)) <= 6):
        return "fr"
    if balance <= -1 and (balance <= -2 or len(words(own)) <= 6):
        return "en"
    if french_probability is not None and fold(own).strip():
        p = french_probability(own)
        if p >= 0.65:
            return "fr"
        if p <= 0.35:
            return "en"
    if balance:
        return "fr" if balance > 0 else "en"
    return hint if hint in ("fr", "en") else "fr"
