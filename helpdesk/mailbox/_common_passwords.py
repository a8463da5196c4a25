"""Passwords and stems seen at the top of every breach list, in French and English.

A candidate is refused when it is one of these, or one of these with digits or symbols
around it ("Soleil2024!", "azerty123"): see `helpdesk.mailbox.policy`.
"""

COMMON = frozenset(
    """
    123456 1234567 12345678 123456789 1234567890 0123456789 987654321 654321 111111 000000
    121212 123123 112233 666666 696969 777777 888888 999999 555555 222222 101010 1q2w3e4r
    1qaz2wsx qwerty qwertyuiop qwerty123 azerty azertyuiop azerty123 qsdfghjklm wxcvbn
    asdfgh asdfghjkl zxcvbnm password password1 passw0rd p@ssw0rd p@ssword motdepasse
    mot2passe mdp motdepass passe secret secret123 admin administrator administrateur root
    toor login welcome bienvenue letmein changeme default master superman batman pokemon
    iloveyou jetaime jetaimes monamour amour doudou loulou chouchou bisous cheri cherie
    soleil marseille paris lyon toulouse bordeaux nantes lille nice france bonjour salut
    coucou hello hallo dragon monkey shadow sunshine princess football baseball soccer
    basketball hockey tennis rugby musique music starwars matrix trustno1 whatever
    freedom qazwsx michael jessica charlie thomas nicolas julien camille marie sophie
    pierre jean julie laura sarah emma louis lucas hugo leo chloe manon ines lea nathalie
    isabelle sandrine stephane christophe olivier philippe michel alain patrick daniel
    jordan jennifer ashley daniel andrew joshua matthew anthony robert william jessica
    computer internet google facebook outlook hotmail gmail yahoo orange free wanadoo sfr
    bouygues laposte webmail email courriel messagerie mailbox boitemail zindex
    abc123 abcd1234 abcdef abcdefg abcdefgh aaaaaa aaaaaaaa azertyui azerty1 qwertz
    chocolat chocolate fromage vacances famille enfants maison voiture bateau avion
    printemps ete automne hiver janvier fevrier mars avril mai juin juillet aout
    septembre octobre novembre decembre lundi mardi mercredi jeudi vendredi samedi
    dimanche 1234abcd test test123 testtest demo guest invite utilisateur user
    """.split()
)

# Keyboard walks and counting runs that survive any suffix or prefix.
SEQUENCES = (
    "0123456789",
    "9876543210",
    "abcdefghijklmnopqrstuvwxyz",
    "azertyuiop",
    "qsdfghjklm",
    "wxcvbn",
    "qwertyuiop",
    "asdfghjkl",
    "zxcvbnm",
)
